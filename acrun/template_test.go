package main

import (
	"errors"
	"os"
	"path/filepath"
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

// podApps turns a pod manifest (a template or a reified one) into the
// run's apps and pod options, which then go through the same resolution
// and verification as images named on the command line.
func TestPodApps(t *testing.T) {
	const id = "sha512-cbead8fe640f4d4a9a34356dba22e9f4c440233b4d13a780cbf067bfc6e9bbbb3e20da84b5b00070eefda0883ae6974a5b9626938386609a9df158cc8e48743e"
	m, err := schema.ParsePodManifest([]byte(`{"acVersion":"0.8.11","acKind":"PodManifest",
"apps":[
 {"name":"web","image":{"name":"example.com/web","labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"}]},
  "readOnlyRootFS":true,"mounts":[{"volume":"data","path":"/data"}],
  "app":{"exec":["/bin/sh","-c","echo hi"],"user":"0","group":"0"}},
 {"name":"db","image":{"id":"` + id + `","name":"example.com/db"}}],
"volumes":[{"name":"data","kind":"empty"}],
"ports":[{"name":"www","hostPort":8080}],
"annotations":[{"name":"team","value":"blue"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	po := &podOpts{}
	apps, err := podApps(po, m)
	if err != nil {
		t.Fatalf("podApps = %v", err)
	}
	if len(apps) != 2 {
		t.Fatalf("podApps = %d apps, want 2", len(apps))
	}
	web, db := apps[0], apps[1]
	if web.image != "example.com/web:1.0,os=linux" || web.name != "web" || !web.readOnlyRootFS || web.podApp == nil ||
		strings.Join(web.mounts, " ") != "volume=data,target=/data" {
		t.Errorf("web = %+v, want the template's name, labels, mount and app", web)
	}
	if db.image != id || db.name != "db" || db.podApp != nil {
		t.Errorf("db = %+v, want resolved by its id", db)
	}
	if strings.Join(po.volumes, " ") != "data,kind=empty,mode=0755,uid=0,gid=0" || strings.Join(po.ports, " ") != "www:8080" ||
		len(po.annotations) != 1 {
		t.Errorf("pod options = volumes %q ports %q annotations %v", po.volumes, po.ports, po.annotations)
	}
	for name, in := range map[string]string{
		"no apps":   `"apps":[]`,
		"hostIP":    `"apps":[{"name":"a","image":{"id":"` + id + `"}}],"ports":[{"name":"www","hostPort":80,"hostIP":"127.0.0.1"}]`,
		"appVolume": `"apps":[{"name":"a","image":{"id":"` + id + `"},"mounts":[{"volume":"v","path":"/v","appVolume":{"name":"v","kind":"empty"}}]}]`,
		"comma":     `"apps":[{"name":"a","image":{"name":"example.com/a","labels":[{"name":"version","value":"1,2"}]}}]`,
		"file-like": `"apps":[{"name":"a","image":{"name":"example.com/a.aci"}}]`,
	} {
		m, err := schema.ParsePodManifest([]byte(`{"acVersion":"0.8.11","acKind":"PodManifest",` + in + `}`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := podApps(&podOpts{}, m); err == nil || !errors.Is(err, errkind.Invalid) {
			t.Errorf("podApps(%s) = %v, want an invalid-input error", name, err)
		}
	}
}

// Root: a two-app template pod whose images are in the store by name runs
// with --pod-manifest: each app's image is found by name and labels, the
// manifest's app replaces the image's (one image has no exec at all), its
// volume is mounted, and the recorded pod manifest names both images by ID.
func TestPodManifestTemplate(t *testing.T) {
	e := newEnv(t)
	web := e.busybox("example.com/web", `{"exec":["/bin/sh","-c","echo web is $AC_APP_NAME; test -d /data && echo data mounted; true"],"user":"0","group":"0"}`)
	db := e.busybox("example.com/db", `{"user":"0","group":"0"}`)
	// An image without exec cannot run alone: one error line, exit 2.
	if r := e.run("--insecure-options=image", "--net=none", db); r.Code != 2 ||
		!strings.Contains(r.Stderr, "\nacrun: image example.com/db has no exec: it cannot run alone without --exec\n") {
		t.Errorf("acrun IMAGE-WITHOUT-EXEC = exit %d %q, want 2 and one error line", r.Code, r.Stderr)
	}
	// Into the store, by running each once.
	for _, args := range [][]string{{web}, {db, "--exec=/bin/true"}} {
		if r := e.run(append([]string{"--insecure-options=image", "--net=none"}, args...)...); r.Code != 0 {
			t.Fatalf("acrun %q = exit %d %q", args, r.Code, r.Stderr)
		}
	}
	// As a dependency, an image without exec is as good as any: an empty
	// image running /bin/sh from it.
	top := filepath.Join(e.dir, "top")
	os.MkdirAll(filepath.Join(top, "rootfs"), 0o755)
	os.WriteFile(filepath.Join(top, "manifest"), []byte(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/top",
"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
"app":{"exec":["/bin/sh","-c","echo on top of db"],"user":"0","group":"0"},
"dependencies":[{"imageName":"example.com/db"}]}`), 0o644)
	topImg := buildImage(t, top, filepath.Join(e.dir, "top.aci"))
	if r := e.run("--insecure-options=image", "--net=none", topImg); r.Code != 0 || r.Stdout != "on top of db\n" {
		t.Errorf("acrun IMAGE-ON-EXECLESS-DEPENDENCY = exit %d %q %q, want it to run", r.Code, r.Stdout, r.Stderr)
	}
	tmpl := filepath.Join(e.dir, "pod.json")
	os.WriteFile(tmpl, []byte(`{"acVersion":"0.8.11","acKind":"PodManifest",
"apps":[
 {"name":"front","image":{"name":"example.com/web","labels":[{"name":"os","value":"linux"}]},"mounts":[{"volume":"data","path":"/data"}]},
 {"name":"store","image":{"name":"example.com/db"},"app":{"exec":["/bin/sh","-c","echo store override; /bin/busybox wget -q -O - --header 'Metadata-Flavor: AppContainer' $AC_METADATA_URL/acMetadata/v1/apps/store/annotations"],"user":"0","group":"0"},
  "annotations":[{"name":"role","value":"database"}]}],
"volumes":[{"name":"data","kind":"empty"}],
"annotations":[{"name":"team","value":"blue"}]}`), 0o644)
	uf := filepath.Join(e.dir, "uuid")
	r := e.run("--insecure-options=image", "--net=none", "--uuid-file-save", uf, "--pod-manifest", tmpl)
	if r.Code != 0 || !strings.Contains(r.Stdout, "web is front") || !strings.Contains(r.Stdout, "data mounted") || !strings.Contains(r.Stdout, "store override") {
		t.Fatalf("acrun --pod-manifest TEMPLATE = exit %d\nstdout %q\nstderr %q\nwant both apps' output", r.Code, r.Stdout, r.Stderr)
	}
	// pods.md: the app's annotations reach the metadata service.
	if !strings.Contains(r.Stdout, `{"name":"role","value":"database"}`) {
		t.Errorf("metadata service app annotations = %q, want the pod manifest's role=database", r.Stdout)
	}
	uuid, _ := os.ReadFile(uf)
	cm := e.run("cat-manifest", strings.TrimSpace(string(uuid)))
	pm, err := schema.ParsePodManifest([]byte(cm.Stdout))
	if err != nil {
		t.Fatalf("cat-manifest = %v\n%s", err, cm.Stdout)
	}
	if pm.IsTemplate() || len(pm.Apps) != 2 || pm.Apps[0].Name != "front" || pm.Apps[1].Name != "store" || len(pm.Annotations) != 1 {
		t.Errorf("recorded pod manifest = %s, want both apps reified by ID, and the annotation", cm.Stdout)
	}
	// The same from stdin.
	b, _ := os.ReadFile(tmpl)
	cmd := e.cmd("--insecure-options=image", "--net=none", "--pod-manifest", "-")
	cmd.Stdin = strings.NewReader(string(b))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "store override") {
		t.Errorf("acrun --pod-manifest - = %v\n%s", err, out)
	}
	// Stored unsigned images are refused without --insecure-options=image,
	// as they are by name on the command line.
	if r := e.run("--net=none", "--pod-manifest", tmpl); r.Code != 4 {
		t.Errorf("acrun --pod-manifest (unsigned images) = exit %d %q, want 4", r.Code, r.Stderr)
	}
	// An image manifest is not a pod manifest; a broken one is invalid.
	im := filepath.Join(e.dir, "image.json")
	os.WriteFile(im, []byte(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x"}`), 0o644)
	bad := filepath.Join(e.dir, "bad.json")
	os.WriteFile(bad, []byte(`{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{}}]}`), 0o644)
	for _, p := range []string{im, bad} {
		if r := e.run("--insecure-options=image", "--net=none", "--pod-manifest", p); r.Code != 3 || !strings.HasPrefix(r.Stderr, "acrun: pod manifest "+p+": ") || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("acrun --pod-manifest %s = exit %d %q, want 3 and one line", filepath.Base(p), r.Code, r.Stderr)
		}
	}
	// A name the store lacks is discovered (here: nothing answers on
	// 127.0.0.1), as it would be on the command line: not found, exit 5.
	disc := filepath.Join(e.dir, "discover.json")
	os.WriteFile(disc, []byte(`{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"name":"127.0.0.1/missing","labels":[{"name":"version","value":"1"}]}}]}`), 0o644)
	if r := e.run("--net=none", "--pod-manifest", disc); r.Code != 5 || !strings.Contains(r.Stderr, "127.0.0.1/missing") {
		t.Errorf("acrun --pod-manifest (image not in the store) = exit %d %q, want 5 from discovery", r.Code, r.Stderr)
	}
	if r := e.run("--net=none", "--pod-manifest", filepath.Join(e.dir, "missing.json")); r.Code == 0 {
		t.Errorf("acrun --pod-manifest MISSING = exit 0, want a failure")
	}
}
