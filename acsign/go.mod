module github.com/acikit/acikit/acsign

go 1.26.8

require (
	github.com/ProtonMail/go-crypto v1.5.2
	github.com/urfave/cli/v2 v2.27.7
	golang.org/x/term v0.48.0
)
