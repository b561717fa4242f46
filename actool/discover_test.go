package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// stderrLines fails unless every stderr line carries the tool's prefix,
// and returns the lines.
func stderrLines(t *testing.T, stderr string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if l == "" && stderr == "" {
			continue
		}
		if !strings.HasPrefix(l, "actool: ") {
			t.Errorf("stderr line %q lacks the actool: prefix", l)
		}
		out = append(out, l)
	}
	return out
}

// Requests that failed before discovery succeeded (the https try before the
// http fallback, a deeper prefix that has no page) are shown only with
// --debug; a failed discovery is one line saying what was tried.
func TestDiscoverQuietAttempts(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head>
<meta name="ac-discovery" content="127.0.0.1/hello https://127.0.0.1/{name}-{version}-{os}-{arch}.{ext}">
<meta name="ac-discovery-pubkeys" content="127.0.0.1/hello https://127.0.0.1/pubkeys.gpg">
</head></html>`)
	})
	srv := httptest.NewServer(mux) // plain http: every https try fails
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	base := []string{"--insecure-options", "http", "--port", port}
	const want = "ACI: https://127.0.0.1/127.0.0.1/hello/sub-1.0-linux-amd64.aci, ASC: https://127.0.0.1/127.0.0.1/hello/sub-1.0-linux-amd64.aci.asc\nPublicKeys: https://127.0.0.1/pubkeys.gpg\n"
	for _, name := range []string{"127.0.0.1/hello/sub:1.0,os=linux,arch=amd64"} {
		for _, args := range [][]string{
			append(append([]string{"discover"}, base...), name),
			append(append([]string{"discover", "--json"}, base...), name),
			append(append([]string{"--quiet", "discover"}, base...), name),
		} {
			r := actool(t, nil, args...)
			if r.Code != 0 {
				t.Fatalf("%v: exit %d\n%s", args, r.Code, r.Stderr)
			}
			if args[1] != "--json" && r.Stdout != want {
				t.Errorf("%v: stdout %q, want %q", args, r.Stdout, want)
			}
			if r.Stderr != "" {
				t.Errorf("%v: stderr %q, want nothing after a successful discovery", args, r.Stderr)
			}
		}
		for _, args := range [][]string{
			append(append([]string{"--debug", "discover"}, base...), name),
			append(append([]string{"discover", "--debug"}, base...), name),
		} {
			r := actool(t, nil, args...)
			if r.Code != 0 || r.Stdout != want {
				t.Fatalf("%v: exit %d, stdout %q\n%s", args, r.Code, r.Stdout, r.Stderr)
			}
			lines := stderrLines(t, r.Stderr)
			for _, w := range []string{"https://127.0.0.1:" + port + "/hello/sub?ac-discovery=1", "http://127.0.0.1:" + port + "/hello/sub?ac-discovery=1", "https://127.0.0.1:" + port + "/hello?ac-discovery=1"} {
				if !strings.Contains(r.Stderr, w+": ") {
					t.Errorf("%v: stderr does not show the failed %s:\n%s", args, w, strings.Join(lines, "\n"))
				}
			}
		}
	}
	// Failure: one line, counting the tries and naming the last.
	for _, args := range [][]string{
		{"discover", "--port", port, "127.0.0.1/hello"},
		{"discover", "--insecure-options", "http", "--port", port, "127.0.0.1/nothing"},
	} {
		r := actool(t, nil, args...)
		lines := stderrLines(t, r.Stderr)
		if r.Code != 5 || len(lines) != 1 || !strings.Contains(lines[0], "failed requests") || !strings.Contains(lines[0], "127.0.0.1:"+port) {
			t.Errorf("%v: exit %d, stderr %q; want 5 and one line summarising the tries", args, r.Code, r.Stderr)
		}
	}
}
