//go:build !race

package aci

const raceEnabled = false
