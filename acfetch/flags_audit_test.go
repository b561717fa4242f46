package main

import (
	"testing"

	"github.com/acikit/acikit/internal/cli/clitest"
)

// Every flag reaches the command it is given to, wherever it is given.
func TestFlagPlacement(t *testing.T) { clitest.Flags(t, newApp) }

// An operand named h or help is an operand, not a help request.
func TestHelpOperands(t *testing.T) { clitest.Operands(t, newApp) }

// --version is the version command.
func TestVersionFlag(t *testing.T) { clitest.Version(t, newApp) }
