package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

// An image whose app has no exec (valid: exec is optional) runs only with
// --exec; without it acrun says so on one line, as a usage error, also
// when arguments after -- are given.
func TestEffectiveAppWithoutExec(t *testing.T) {
	m, err := schema.ParseImageManifest([]byte(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/base","app":{"user":"0","group":"0"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*appOpts{{}, {args: []string{"x"}, argsGiven: true}} {
		_, err := effectiveApp(m, &podOpts{}, a)
		if err == nil || !errors.Is(err, errkind.Usage) || !strings.Contains(err.Error(), "image example.com/base has no exec") ||
			!strings.Contains(err.Error(), "--exec") || strings.Contains(err.Error(), "\n") {
			t.Errorf("effectiveApp(no exec, args %q) = %v, want one-line usage error naming the image and --exec", a.args, err)
		}
	}
	app, err := effectiveApp(m, &podOpts{}, &appOpts{exec: "/bin/sh", args: []string{"-c", "true"}, argsGiven: true})
	if err != nil || strings.Join(app.Exec, " ") != "/bin/sh -c true" {
		t.Errorf("effectiveApp(no exec, --exec /bin/sh -- -c true) = %v, %v, want /bin/sh -c true", app, err)
	}
}

// A negative --memory is refused as a usage error: the manifest check that
// refused it became a warning (the spec says nothing of the sign).
func TestNegativeMemoryFlag(t *testing.T) {
	m, err := schema.ParseImageManifest([]byte(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","app":{"exec":["/x"],"user":"0","group":"0"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*appOpts{{memory: "-1G"}, {cpu: "-1"}} {
		if _, err := effectiveApp(m, &podOpts{}, a); err == nil || !errors.Is(err, errkind.Usage) || !strings.Contains(err.Error(), "negative") {
			t.Errorf("effectiveApp(--memory %q --cpu %q) = %v, want a usage error about a negative quantity", a.memory, a.cpu, err)
		}
	}
	if _, err := effectiveApp(m, &podOpts{}, &appOpts{memory: "1G"}); err != nil {
		t.Errorf("effectiveApp(--memory 1G) = %v, want nil", err)
	}
}
