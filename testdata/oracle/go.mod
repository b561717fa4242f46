// Test-only module: builds the reference actool and ace validator from
// github.com/appc/spec v0.8.11 for differential tests. Never imported by acikit
// code; build with GOWORK=off (see README.md).
module github.com/acikit/acikit/testdata/oracle

go 1.26.8

require github.com/appc/spec v0.8.11

// The reference predates modules (glide); these are the modules its packages
// import, at versions that still build it.
require (
	github.com/coreos/go-semver v0.3.1 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
	go4.org v0.0.0-20260112195520-a5071408f32f // indirect
	golang.org/x/net v0.62.0 // indirect
	gopkg.in/inf.v0 v0.9.1 // indirect
)
