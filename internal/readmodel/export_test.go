package readmodel

// GapWait is gapWait, for the tests of package readmodel_test.
const GapWait = gapWait
