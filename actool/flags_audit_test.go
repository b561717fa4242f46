package main

import (
	"testing"

	"github.com/acikit/acikit/internal/cli/clitest"
)

// Every flag reaches the command it is given to, wherever it is given.
func TestFlagPlacement(t *testing.T) { clitest.Flags(t, newApp) }
