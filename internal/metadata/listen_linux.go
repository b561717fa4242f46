//go:build linux

package metadata

import (
	"fmt"
	"net"

	"github.com/acikit/acikit/internal/sandbox"
)

// ListenInNetNS opens a TCP listener on 127.0.0.1 (port chosen by the
// kernel) inside the network namespace at nsPath. The socket keeps
// belonging to that namespace while this process serves it from the host.
func ListenInNetNS(nsPath string) (net.Listener, error) {
	var ln net.Listener
	err := sandbox.InNetNS(nsPath, func() (err error) {
		ln, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: listen in %s: %w", nsPath, err)
	}
	return ln, nil
}
