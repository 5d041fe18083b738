package seed

import (
	"fmt"

	"github.com/fealac/smegraph/internal/store"
)

// Synthetic returns n made-up agencies spread over the 36 member countries, for benchmarks
// and scale tests: keys "AG-<code>-S<n>", English names "Synthetic SME agency <n> of
// <country>", URLs under example.org (reserved for examples, RFC 2606), kinds in turn, and
// the source "synthetic test data". They never enter the shipped data.
func Synthetic(n int) ([]*store.Agency, error) {
	ds, err := Dataset()
	if err != nil {
		return nil, err
	}
	kinds := []store.AgencyKind{store.AgencyMinistry, store.AgencyAgency, store.AgencyChamber, store.AgencyOther}
	out := make([]*store.Agency, n)
	for i := range n {
		c := ds.Countries[i%len(ds.Countries)]
		url := fmt.Sprintf("https://example.org/%s/%d", c.Code, i)
		out[i] = &store.Agency{
			Key:     fmt.Sprintf("AG-%s-S%06d", c.Code, i),
			Country: c.Code,
			Names:   []store.LocalizedText{{Lang: "en", Text: fmt.Sprintf("Synthetic SME agency %d of %s", i, c.Names[0].Text)}},
			Kind:    kinds[i%len(kinds)],
			URL:     &url,
			Sources: []store.Source{{Title: "synthetic test data"}},
		}
	}
	return out, nil
}
