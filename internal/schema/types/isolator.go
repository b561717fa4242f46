package types

import "encoding/json"

// Isolator is one {name, value} isolator.
type Isolator struct {
	Name     ACIdentifier    `json:"name"`
	ValueRaw json.RawMessage `json:"value"`
	value    any
}

// Isolators is a list of isolators.
type Isolators []Isolator

func (l Isolators) assertValid(app bool) error { return nil }
