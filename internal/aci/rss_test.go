package aci

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// TestPeakRSS runs Build and Validate on a ~30 MB tree in child processes
// and checks their peak RSS, the number the product promises (< 64 MB
// whatever the image size).
func TestPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 30 MB tree")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes RSS meaningless")
	}
	testutil.RequireLinux(t)
	dir := benchTree(t)
	img := filepath.Join(t.TempDir(), "x.aci")
	for _, mode := range []string{"build", "validate", "imageid"} {
		t.Run(mode, func(t *testing.T) {
			checkChildRSS(t, mode, "ACIKIT_RSS_DIR="+dir, "ACIKIT_RSS_IMG="+img)
		})
	}
}

// TestPeakRSSManyEntries validates a stream of a million empty files with
// ~90-byte names in a child process: what the archive rules remember per
// entry must stay small, so the peak stays under the limit however many
// entries an image has.
func TestPeakRSSManyEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a 500 MB tar")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes RSS meaningless")
	}
	testutil.RequireLinux(t)
	checkChildRSS(t, "entries")
}

// checkChildRSS runs TestRSSChild in mode and checks its peak RSS against
// the 64 MB limit.
func checkChildRSS(t *testing.T, mode string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$")
	cmd.Env = append(append(os.Environ(), "ACIKIT_RSS_CHILD="+mode), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", mode, err, out)
	}
	_, after, ok := strings.Cut(string(out), "maxrss=")
	if !ok {
		t.Fatalf("child %s printed no maxrss:\n%s", mode, out)
	}
	kb, _ := strconv.Atoi(strings.Fields(after)[0])
	t.Logf("%s: peak RSS %d MiB", mode, kb>>10)
	if kb > 64<<10 {
		t.Errorf("%s peak RSS = %d MiB, want under 64 MiB", mode, kb>>10)
	}
}

// manyEntries streams an image of n empty files into a pipe.
func manyEntries(n int) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		tw := tar.NewWriter(bw)
		err := tw.WriteHeader(&tar.Header{Name: ManifestName, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(testManifest))})
		if err == nil {
			_, err = io.WriteString(tw, testManifest)
		}
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Name: RootfsName, Typeflag: tar.TypeDir, Mode: 0o755})
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Mode: 0o644}
		for i := 0; i < n && err == nil; i++ {
			hdr.Name = fmt.Sprintf("rootfs/usr/lib/python3/dist-packages/package%04d/submodule/implementation_%07d.py", i/1000, i)
			err = tw.WriteHeader(hdr)
		}
		if err == nil {
			err = tw.Close()
		}
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func TestRSSChild(t *testing.T) {
	mode := os.Getenv("ACIKIT_RSS_CHILD")
	if mode == "" {
		t.Skip("helper process for TestPeakRSS")
	}
	ctx := context.Background()
	var err error
	switch mode {
	case "build":
		var f *os.File
		if f, err = os.Create(os.Getenv("ACIKIT_RSS_IMG")); err == nil {
			_, err = Build(ctx, os.Getenv("ACIKIT_RSS_DIR"), f, BuildOptions{})
			f.Close()
		}
	case "entries":
		src := manyEntries(1_000_000)
		_, err = Validate(ctx, src, ValidateOptions{SkipID: true})
		src.Close()
	case "validate", "imageid":
		var f *os.File
		if f, err = os.Open(os.Getenv("ACIKIT_RSS_IMG")); err == nil {
			if mode == "validate" {
				_, err = Validate(ctx, f, ValidateOptions{})
			} else {
				_, err = ImageID(ctx, f)
			}
			f.Close()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	// VmHWM, not getrusage: ru_maxrss survives exec and would report the
	// parent's peak.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("maxrss=%s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
}
