package fetch

import (
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/acikit/acikit/internal/pgp"
)

func pgpFingerprint(t testing.TB, who string) string { return pgp.Fingerprint(testKey(t, who)) }

func readAll(r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	return io.ReadAll(r)
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
