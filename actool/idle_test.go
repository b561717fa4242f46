package main

import (
	"net/url"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// A discovery page that stalls fails its request on the idle timeout;
// discovery goes on, so the failed request shows only with --debug.
func TestDiscoverIdleTimeout(t *testing.T) {
	srv := testutil.StallServer(t)
	u, _ := url.Parse(srv.URL)
	testutil.IdleTimeoutReported(t, func(t *testing.T, flag []string) testutil.Result {
		args := append([]string{"discover", "--debug", "--insecure", "--port", u.Port()}, flag...)
		return testutil.Run(t, nil, testutil.Binary(t, "actool"), append(args, "127.0.0.1/app")...)
	}, "read http://127.0.0.1:"+u.Port()+"/app?ac-discovery=1: no data received for 300ms")
}
