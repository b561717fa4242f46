//go:build race

package aci

// raceEnabled: the race detector multiplies memory use, so RSS checks skip.
const raceEnabled = true
