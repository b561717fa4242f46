module github.com/acikit/acikit/docker2aci

go 1.26.8

require (
	github.com/google/go-containerregistry v0.22.1
	github.com/urfave/cli/v2 v2.27.7
	golang.org/x/term v0.48.0
)
