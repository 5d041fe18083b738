package store

// IsEntity marks the node types as Apollo Federation entities (gqlgen's fedruntime.Entity),
// so the GraphQL layer can answer _entities with the stored documents themselves.
func (*Country) IsEntity() {}

// IsEntity marks Agency as a federation entity.
func (*Agency) IsEntity() {}

// IsEntity marks Grouping as a federation entity.
func (*Grouping) IsEntity() {}

// IsEntity marks Meeting as a federation entity.
func (*Meeting) IsEntity() {}

// IsEntity marks Decision as a federation entity.
func (*Decision) IsEntity() {}
