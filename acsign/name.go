package main

import (
	"context"
	"fmt"
	"io"

	"github.com/acikit/acikit/internal/aci"
)

// imageName reads the name in an image's manifest: rkt picks the keys that
// may verify an image by that name, not by what the user typed.
func imageName(ctx context.Context, r io.Reader) (string, error) {
	m, _, err := aci.ReadManifest(ctx, r)
	if err != nil {
		return "", fmt.Errorf("read image name: %w", err)
	}
	return string(m.Name), nil
}
