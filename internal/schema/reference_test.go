package schema_test

// Differential test against the reference implementation: every manifest
// in testdata/manifests/{good,bad} gets the same verdict from the reference
// `actool validate` (appc/spec v0.8.11, built by testutil.Reference) as from
// our parser, except where the reference is known to crash or to be wrong.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/testutil"
)

// referenceDiffers lists the corpus files (relative to testdata/manifests)
// whose verdict may differ from the reference's, each with the reason the
// reference is at fault. Only a crash of the reference or a reference bug
// belongs here; the test fails when an entry stops differing or its file is
// gone, so the list stays exact.
var referenceDiffers = map[string]string{
	// The reference crashes instead of judging.
	"bad/missing-ackind.json":           "panics (bad ACKind) on a manifest without acKind",
	"bad/isolator-memory-no-value.json": "panics (nil dereference) on a known isolator without value",

	// The reference accepts what the spec forbids.
	"bad/annotation-systemd-notify-not-boolean.json": "annotation values are not checked beyond created, homepage and documentation",
	"bad/app-port-count-zero.json":                   "port count 0 is not refused",
	"bad/app-supplementary-gid-negative.json":        "supplementary GIDs are not checked for sign",
	"bad/pathwhitelist-relative.json":                "pathWhitelist entries are not checked",
	"bad/pod-acversion-missing.json":                 "acVersion is not required in a pod manifest",
	"bad/pod-annotation-name-identifier.json":        "pod annotation names are checked as AC Identifiers",
	"bad/pod-app-annotation-name-identifier.json":    "pod app annotation names are checked as AC Identifiers",
	"bad/pod-apps-missing.json":                      "apps is not required",
	"bad/pod-isolator-unknown-no-value.json":         "an unknown isolator's value is not required",
	"bad/pod-port-hostip-ipv6.json":                  "hostIP may be any IP address",
	"bad/pod-port-no-hostport.json":                  "hostPort is not required",
	"bad/acversion-leading-zero.json":                "coreos/go-semver accepts leading zeros, SemVer 2.0 does not",
	"bad/app-mountpoint-no-name.json":                "mount point names are checked only when present",
	"bad/app-mountpoint-no-path.json":                "mount point paths are not checked; the spec requires one",
	"bad/app-port-no-protocol.json":                  "port protocol is not checked; the spec requires it",
	"bad/dependency-imageid-not-hex.json":            "hash values are not checked for hex digits",
	"bad/dependency-imageid-short.json":              "hash values are not checked for length",
	"bad/isolator-caps-retain-and-remove.json":       "the spec forbids combining capability retain and remove sets; the code does not check",
	"bad/pod-app-image-unnamed.json":                 "a pod app's image is not checked; pods.md requires its id, which only a template may replace by a name",
	"bad/pod-mount-no-path.json":                     "pod mount paths are not checked",
	"warn/app-isolator-unknown.json":                 "rejects an isolator it does not know in an app; ace.md: an executor MAY ignore isolators it does not understand",
	"warn/pod-volume-host-mode.json":                 "rejects mode on a host volume; pods.md: mode is only interpreted if kind is empty",
	"bad/pod-port-no-name.json":                      "exposed port names are checked only when present",
}

func TestReferenceManifests(t *testing.T) {
	root := filepath.Join(testutil.RepoRoot(t), "testdata", "manifests")
	var files []string
	for _, sub := range []string{"good", "bad", "warn"} {
		ents, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil {
			t.Fatalf("read corpus: %v", err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), "README") {
				files = append(files, sub+"/"+e.Name())
			}
		}
	}
	if len(files) == 0 {
		t.Fatalf("no manifests under %s", root)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	for _, rel := range files {
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(root, filepath.FromSlash(rel))
			ref := testutil.ReferenceValidate(t, "manifest", path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ours := ourVerdict(b)
			differ := ref.Panicked || ref.Valid != (ours == nil)
			reason, listed := referenceDiffers[rel]
			switch {
			case differ && !listed:
				t.Errorf("reference actool validate %s = %s; ours = %s (list it in referenceDiffers only if the reference crashes or is wrong)",
					rel, ref, verdictString(ours))
			case !differ && listed:
				t.Errorf("reference actool validate %s = %s, the same as ours, but referenceDiffers says %q: remove the entry",
					rel, ref, reason)
			}
		})
	}
	for rel := range referenceDiffers {
		if !seen[rel] {
			t.Errorf("referenceDiffers names %s, which is not in the corpus: remove the entry", rel)
		}
	}
}

// ourVerdict judges one manifest the way `actool validate` does: sniff the
// kind, then parse it as that kind.
func ourVerdict(b []byte) error {
	kind, err := schema.SniffKind(b)
	if err != nil {
		return err
	}
	switch kind {
	case schema.KindPod:
		_, err = schema.ParsePodManifest(b)
	default:
		_, err = schema.ParseImageManifest(b)
	}
	return err
}

func verdictString(err error) string {
	if err == nil {
		return "valid"
	}
	return "invalid: " + err.Error()
}

// TestReferenceDiffersMatchREADME keeps testdata/manifests/README.md, which
// tells readers the reference's verdict on every bad and warn file, in step
// with referenceDiffers: a file is listed here exactly when the README's
// verdict differs from ours (a bad file the reference accepts or panics
// on, a warn file it rejects or panics on), a panic with a reason starting
// "panics".
func TestReferenceDiffersMatchREADME(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(t), "testdata", "manifests", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(string(b), "\n") {
		bad := strings.HasPrefix(line, "| `bad/")
		if !bad && !strings.HasPrefix(line, "| `warn/") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		file := strings.Trim(strings.TrimSpace(cells[0]), "`")
		verdict := strings.Trim(strings.TrimSpace(cells[len(cells)-1]), "*")
		rows++
		reason, listed := referenceDiffers[file]
		if verdict != "rejects" && verdict != "accepts" && verdict != "panics" {
			t.Errorf("README row for %s: verdict %q, want rejects, accepts or panics", file, verdict)
			continue
		}
		differs := verdict == "panics" || (verdict == "accepts") == bad
		switch {
		case differs && !listed:
			t.Errorf("README says the reference %s %s, unlike us, but referenceDiffers does not list it", verdict, file)
		case !differs && listed:
			t.Errorf("README says the reference %s %s, as we do, but referenceDiffers lists it (%q)", verdict, file, reason)
		case listed && strings.HasPrefix(reason, "panics") != (verdict == "panics"):
			t.Errorf("README says the reference %s %s, but referenceDiffers gives %q", verdict, file, reason)
		}
	}
	if rows == 0 {
		t.Fatalf("no bad/ rows in the table of %s", path)
	}
}

// TestReferenceDiffersInConformanceDoc: docs/conformance.md folds in every
// corpus file where the reference differs from us.
func TestReferenceDiffersInConformanceDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "docs", "conformance.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, diffs, ok := strings.Cut(string(b), "\n## Differences from the reference actool\n")
	if !ok {
		t.Fatal("docs/conformance.md has no section \"Differences from the reference actool\"")
	}
	for file := range referenceDiffers {
		if !strings.Contains(diffs, "`"+file+"`") {
			t.Errorf("referenceDiffers lists %s; name it under \"Differences from the reference actool\" in docs/conformance.md", file)
		}
	}
}
