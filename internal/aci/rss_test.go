package aci

import (
	"context"
	"fmt"
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
			cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$")
			cmd.Env = append(os.Environ(), "ACIKIT_RSS_CHILD="+mode, "ACIKIT_RSS_DIR="+dir, "ACIKIT_RSS_IMG="+img)
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
		})
	}
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
