package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// benchEnv turns on TestBenchAgainstGPG (make bench sets it); its size in
// MiB comes from ACIKIT_BENCH_MB (default 1024).
const benchEnv = "ACIKIT_BENCH"

type measure struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

func timed(t *testing.T, env []string, name string, args ...string) measure {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	m := measure{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss * 1024
	}
	return m
}

// best runs f n times and keeps the fastest run (and the largest RSS).
func best(n int, f func() measure) measure {
	var b measure
	for i := range n {
		m := f()
		if i == 0 || m.wall < b.wall {
			b.wall = m.wall
		}
		b.maxRSS = max(b.maxRSS, m.maxRSS)
	}
	return b
}

// TestBenchAgainstGPG signs and verifies one large file with acsign and with
// gpg (both RSA 2048, SHA-256, armored detached), in the same run, and
// checks that acsign is at least as fast and stays under 32 MiB.
func TestBenchAgainstGPG(t *testing.T) {
	if os.Getenv(benchEnv) != "1" {
		t.Skip("benchmark: set " + benchEnv + "=1 (make bench)")
	}
	testutil.RequireCommand(t, "gpg", "gnupg")
	mb := 1024
	if s := os.Getenv("ACIKIT_BENCH_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	bin := testutil.Binary(t, "acsign")
	g := newGPG(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "big.aci")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	for range mb {
		f.Write(chunk)
	}
	f.Close()
	// Warm the page cache so both read from memory.
	if r, err := os.Open(img); err == nil {
		io.Copy(io.Discard, r)
		r.Close()
	}

	sec, pub := filepath.Join(dir, "secret.asc"), filepath.Join(dir, "pubkeys.gpg")
	ok(t, acsign(t, nil, "keygen", "--name", "Bench", "--type", "rsa", "--bits", "2048", "--no-passphrase", "--secret-out", sec, "--public-out", pub), "keygen")
	g.run(true, "--quick-gen-key", "GBench <gbench@example.com>", "rsa2048", "sign", "never")
	genv := []string{"GNUPGHOME=" + g.home}
	gpgArgs := []string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--yes"}

	const runs = 2
	ourSign := best(runs, func() measure {
		return timed(t, nil, bin, "sign", "--key", sec, "--overwrite", "-o", img+".ours.asc", img)
	})
	gpgSign := best(runs, func() measure {
		return timed(t, genv, "gpg", append(gpgArgs, "--digest-algo", "SHA256", "--local-user", "gbench@example.com",
			"--armor", "--detach-sig", "--output", img+".gpg.asc", img)...)
	})
	ourVerify := best(runs, func() measure {
		return timed(t, nil, bin, "verify", "--keyring", pub, img, img+".ours.asc")
	})
	gpgVerify := best(runs, func() measure {
		return timed(t, genv, "gpg", append(gpgArgs, "--verify", img+".gpg.asc", img)...)
	})
	report := func(what string, ours, theirs measure) {
		ratio := theirs.wall.Seconds() / ours.wall.Seconds()
		t.Logf("%-6s %d MiB: acsign %v (%.0f MiB/s, max RSS %.1f MiB), gpg %v (max RSS %.1f MiB): acsign/gpg speed ratio %.2f",
			what, mb, ours.wall.Round(time.Millisecond), float64(mb)/ours.wall.Seconds(), float64(ours.maxRSS)/(1<<20),
			theirs.wall.Round(time.Millisecond), float64(theirs.maxRSS)/(1<<20), ratio)
		fmt.Printf("acsign-bench %s mib=%d acsign_s=%.3f gpg_s=%.3f ratio=%.2f acsign_rss_mib=%.1f\n",
			what, mb, ours.wall.Seconds(), theirs.wall.Seconds(), ratio, float64(ours.maxRSS)/(1<<20))
		if ours.maxRSS > 32<<20 {
			t.Errorf("%s: acsign max RSS %.1f MiB, want under 32 MiB", what, float64(ours.maxRSS)/(1<<20))
		}
		// 10% slack: two runs on a shared machine are noisy.
		if ratio < 0.9 {
			t.Errorf("%s: acsign %v, gpg %v: want acsign at least as fast", what, ours.wall, theirs.wall)
		}
	}
	report("sign", ourSign, gpgSign)
	report("verify", ourVerify, gpgVerify)
}
