package aci

import (
	"archive/tar"
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/digest"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/testutil"
)

const testManifest = `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test",` +
	`"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}`

// ent is one tar member of a generated archive.
type ent struct {
	name string
	typ  byte // 0: regular file
	link string
	body string
	size int64 // header size when body is not written (0: len(body))
}

func dir(name string) ent             { return ent{name: name, typ: tar.TypeDir} }
func file(name, body string) ent      { return ent{name: name, body: body} }
func symlink(name, target string) ent { return ent{name: name, typ: tar.TypeSymlink, link: target} }
func hardlink(name, target string) ent {
	return ent{name: name, typ: tar.TypeLink, link: target}
}

var (
	manifestEnt = file("manifest", testManifest)
	baseRootfs  = []ent{dir("rootfs"), dir("rootfs/etc"), file("rootfs/etc/hostname", "x\n")}
)

func with(es ...ent) []ent { return append(append([]ent{manifestEnt}, baseRootfs...), es...) }

// makeTar writes entries as an uncompressed tar with fixed metadata.
func makeTar(t testing.TB, entries []ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644, ModTime: time.Unix(1e9, 0)}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if typ == tar.TypeXGlobalHeader {
			hdr = &tar.Header{Name: e.name, Typeflag: typ, PAXRecords: map[string]string{"comment": "x"}}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write header %q: %v", e.name, err)
		}
		io.WriteString(tw, e.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := compress.NewWriter(&buf, compress.Gzip, compress.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name    string
		entries []ent
		want    string // error substring; "" means valid
	}{
		{"valid", with(), ""},
		{"manifest last", append(append([]ent{}, baseRootfs...), manifestEnt), ""},
		{"dot slash names", []ent{dir("./rootfs/"), file("./rootfs/a", "a"), file("./manifest", testManifest)}, ""},
		{"dot directory entry", append([]ent{dir("./")}, with()...), ""},
		{"dot file entry", append([]ent{file(".", "x")}, with()...), `unrecognized file path in archive: "."`},
		{"global pax header skipped", append([]ent{{name: "pax_global_header", typ: tar.TypeXGlobalHeader}}, with()...), ""},
		{"nested manifest and rootfs names", with(file("rootfs/manifest", "m"), dir("rootfs/rootfs")), ""},
		{"absolute symlink", with(symlink("rootfs/etc/mtab", "/proc/self/mounts")), ""},
		{"relative symlink inside", with(symlink("rootfs/etc/h2", "hostname"), symlink("rootfs/etc/up", "../etc/hostname")), ""},
		{"symlink to rootfs itself", with(symlink("rootfs/etc/root", "..")), ""},
		{"hard link", with(hardlink("rootfs/etc/h2", "rootfs/etc/hostname")), ""},
		{"device and fifo", with(ent{name: "rootfs/null", typ: tar.TypeChar}, ent{name: "rootfs/fifo", typ: tar.TypeFifo}), ""},

		{"no manifest", baseRootfs, "no image manifest found in archive"},
		{"no rootfs", []ent{manifestEnt}, "no rootfs found in archive"},
		{"no rootfs entry", []ent{manifestEnt, file("rootfs/a", "a")}, "no rootfs found in archive"},
		{"rootfs is a file", []ent{manifestEnt, file("rootfs", "x")}, "rootfs is not a directory"},
		{"rootfs is a symlink", []ent{manifestEnt, symlink("rootfs", "/")}, "rootfs is not a directory"},
		{"manifest is a directory", append([]ent{dir("manifest")}, baseRootfs...), "manifest is not a regular file"},
		{"manifest is a symlink", append([]ent{symlink("manifest", "rootfs/etc/hostname")}, baseRootfs...), "manifest is not a regular file"},
		{"bad manifest", append([]ent{file("manifest", `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Upper"}`)}, baseRootfs...), "image manifest validation failed"},
		{"manifest not json", append([]ent{file("manifest", `{`)}, baseRootfs...), "image manifest validation failed"},
		{"duplicate file", with(file("rootfs/etc/hostname", "y")), `duplicate entry "rootfs/etc/hostname" in archive`},
		{"duplicate after cleaning", with(file("rootfs/etc/./hostname", "y")), `duplicate entry "rootfs/etc/hostname" in archive`},
		{"duplicate manifest", with(manifestEnt), `duplicate entry "manifest" in archive`},
		{"duplicate rootfs", with(dir("rootfs/")), `duplicate entry "rootfs" in archive`},
		{"stray top-level file", with(file("README", "hi")), `unrecognized file path in archive: "README"`},
		{"rootfs.bak", with(file("rootfs.bak", "old")), `unrecognized file path in archive: "rootfs.bak"`},
		{"rootfsX dir", with(dir("rootfsX")), `unrecognized file path in archive: "rootfsX"`},
		{"escape through rootfs", with(file("rootfs/../x", "x")), "rootfs/../x: entry escapes the image"},
		{"escape above", with(file("rootfs/../../etc/passwd", "x")), "rootfs/../../etc/passwd: entry escapes the image"},
		{"dot dot inside", with(file("rootfs/etc/../a", "x")), `rootfs/etc/../a: entry name has a ".." element`},
		{"absolute name", with(file("/rootfs/etc/shadow", "x")), "/rootfs/etc/shadow: absolute entry name"},
		{"odd name quoted", with(file("rootfs/a\nb/../../../x", "x")), `"rootfs/a\nb/../../../x": entry escapes the image`},
		{"escaping symlink", with(symlink("rootfs/etc/evil", "../../etc/passwd")), `rootfs/etc/evil: symlink target "../../etc/passwd" escapes rootfs`},
		{"symlink to manifest", with(symlink("rootfs/m", "../manifest")), "escapes rootfs"},
		{"empty symlink", with(symlink("rootfs/e", "")), "symlink with an empty target"},
		{"entry beneath symlink", with(symlink("rootfs/l", "etc"), file("rootfs/l/x", "x")), `rootfs/l/x: entry is beneath symlink "rootfs/l"`},
		{"chained symlink escape", with(dir("rootfs/x"), symlink("rootfs/x/y", ".."), symlink("rootfs/x/y/z", "../..")), `entry is beneath symlink "rootfs/x/y"`},
		{"entry beneath later symlink", with(file("rootfs/a/x", "x"), symlink("rootfs/a", "etc"), file("rootfs/a/y", "y")), `rootfs/a/y: entry is beneath symlink "rootfs/a"`},
		{"entry deep beneath file", with(dir("rootfs/d"), file("rootfs/d/f", "x"), file("rootfs/d/g", "x"), dir("rootfs/d/f/e/"), file("rootfs/d/f/e/x", "x")), `entry is beneath non-directory "rootfs/d/f"`},
		{"entry beneath file", with(file("rootfs/etc/hostname/x", "x")), `entry is beneath non-directory "rootfs/etc/hostname"`},
		{"hard link to missing", with(hardlink("rootfs/h", "rootfs/nothing")), `rootfs/h: hard link to "rootfs/nothing", which is not an earlier entry`},
		{"hard link to later", append(with(hardlink("rootfs/h", "rootfs/later")), file("rootfs/later", "x")), "not an earlier entry"},
		{"hard link to manifest", with(hardlink("rootfs/h", "manifest")), `hard link target "manifest" is outside rootfs`},
		{"hard link escaping", with(hardlink("rootfs/h", "rootfs/../../x")), "is outside rootfs"},
		{"hard link absolute", with(hardlink("rootfs/h", "/etc/passwd")), "is outside rootfs"},
		{"hard link to directory", with(hardlink("rootfs/h", "rootfs/etc")), `hard link to directory "rootfs/etc"`},
		{"unsupported type", with(ent{name: "rootfs/c", typ: tar.TypeCont}), "unsupported entry type"},
		{"only a pax header", []ent{{name: "pax_global_header", typ: tar.TypeXGlobalHeader}}, "no image manifest found"},
	}
	for _, tt := range tests {
		raw := makeTar(t, tt.entries)
		for _, c := range []struct {
			name string
			data []byte
		}{{"tar", raw}, {"gzip", gz(t, raw)}} {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				res, err := Validate(context.Background(), bytes.NewReader(c.data), ValidateOptions{})
				if tt.want == "" {
					if err != nil {
						t.Fatalf("Validate(%s) = %v, want nil", tt.name, err)
					}
					if want := digest.Bytes(raw); res.ID != want {
						t.Errorf("Validate(%s).ID = %s, want %s", tt.name, res.ID, want)
					}
					if res.Size != int64(len(raw)) || res.Manifest == nil || string(res.RawManifest) != testManifest && tt.name != "dot slash names" {
						t.Errorf("Validate(%s) = size %d, manifest %v, want size %d and the manifest", tt.name, res.Size, res.Manifest != nil, len(raw))
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Validate(%s) = %v, want an error containing %q", tt.name, err, tt.want)
				}
				if !errors.Is(err, errkind.Invalid) {
					t.Errorf("Validate(%s) error %q is not errkind.Invalid", tt.name, err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("Validate(%s) error %q spans lines", tt.name, err)
				}
			})
		}
	}
}

func TestValidateBadStreams(t *testing.T) {
	good := makeTar(t, with(file("rootfs/big", strings.Repeat("abcdefgh", 20000))))
	corrupt := bytes.Clone(good)
	copy(corrupt[512*3:], bytes.Repeat([]byte{0xee}, 512)) // a header block turned to junk
	gzGood := gz(t, good)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"truncated gzip", gzGood[:len(gzGood)/2], "truncated gzip stream"},
		{"truncated tar", good[:len(good)/2], "read tar: unexpected EOF"},
		{"truncated tar in gzip", gz(t, good[:len(good)/2]), "read tar: unexpected EOF"},
		{"corrupt tar", corrupt, "read tar: archive/tar: invalid tar header"},
		{"not an image", []byte("hello world"), "unknown image filetype"},
		{"empty input", nil, "unknown image filetype"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(context.Background(), bytes.NewReader(tt.in), ValidateOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid) {
				t.Errorf("Validate(%s) = %v, want an Invalid error containing %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestValidateSourceError(t *testing.T) {
	good := makeTar(t, with(file("rootfs/big", strings.Repeat("abcdefgh", 20000))))
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(good[:70000]), &errReader{boom})
	_, err := Validate(context.Background(), r, ValidateOptions{})
	if !errors.Is(err, boom) || errors.Is(err, errkind.Invalid) {
		t.Errorf("Validate(failing source) = %v, want the source error, not marked Invalid", err)
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

func TestValidateContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Validate(ctx, bytes.NewReader(makeTar(t, with())), ValidateOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Validate(cancelled) = %v, want context.Canceled", err)
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// streamTar writes a tar whose entries may have huge streamed bodies, into a
// pipe, so tests never hold the image in memory.
func streamTar(entries []ent, zip bool) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		var w io.Writer = pw
		var zw io.WriteCloser
		if zip {
			zw, _ = compress.NewWriter(pw, compress.Gzip, compress.WriterOptions{Level: 1})
			w = zw
		}
		tw := tar.NewWriter(w)
		err := func() error {
			for _, e := range entries {
				size := e.size
				if size == 0 {
					size = int64(len(e.body))
				}
				typ := e.typ
				if typ == 0 {
					typ = tar.TypeReg
				}
				hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: size, Linkname: e.link}
				if typ != tar.TypeReg {
					hdr.Size = 0
				}
				if err := tw.WriteHeader(hdr); err != nil {
					return err
				}
				var body io.Reader = strings.NewReader(e.body)
				if e.size != 0 {
					body = io.LimitReader(zeros{}, e.size)
				}
				if _, err := io.Copy(tw, body); err != nil {
					return err
				}
			}
			if err := tw.Close(); err != nil {
				return err
			}
			if zw != nil {
				return zw.Close()
			}
			return nil
		}()
		pw.CloseWithError(err)
	}()
	return pr
}

// allocDuring reports the bytes allocated while f ran.
func allocDuring(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestDecompressionBomb(t *testing.T) {
	// 2 GiB of zeros; gzip makes it a few MiB. Built once into memory so the
	// allocation measurement below only sees Validate.
	const huge = 2 << 30
	var bomb bytes.Buffer
	src := streamTar(with(ent{name: "rootfs/zero", size: huge}), true)
	io.Copy(&bomb, src)
	if bomb.Len() == 0 || bomb.Len() > 32<<20 {
		t.Fatalf("bomb is %d bytes, want a small gzip", bomb.Len())
	}
	const limit = 64 << 20
	var err error
	var res Result
	start := time.Now()
	alloc := allocDuring(func() {
		res, err = Validate(context.Background(), bytes.NewReader(bomb.Bytes()), ValidateOptions{MaxSize: limit})
	})
	if err == nil || !strings.Contains(err.Error(), "larger than the limit of 67108864 uncompressed bytes") || !errors.Is(err, errkind.Invalid) {
		t.Fatalf("Validate(bomb, MaxSize 64 MiB) = %v, want the size limit error", err)
	}
	_ = res
	if alloc > 48<<20 {
		t.Errorf("Validate(bomb) allocated %d MiB, want under 48 MiB", alloc>>20)
	}
	t.Logf("bomb of %d bytes stopped at %d MiB after %v, %d MiB allocated", bomb.Len(), limit>>20, time.Since(start), alloc>>20)
}

func TestHugeManifest(t *testing.T) {
	const size = 100 << 20
	for _, zip := range []bool{false, true} {
		t.Run(fmt.Sprint("gzip=", zip), func(t *testing.T) {
			src := streamTar(append([]ent{{name: "manifest", size: size}}, baseRootfs...), zip)
			defer src.Close()
			var err error
			alloc := allocDuring(func() {
				_, err = Validate(context.Background(), src, ValidateOptions{})
			})
			if err == nil || !strings.Contains(err.Error(), "manifest is 104857600 bytes, more than the limit of 1048576 bytes") {
				t.Fatalf("Validate(100 MB manifest) = %v, want the manifest size error", err)
			}
			if alloc > 24<<20 {
				t.Errorf("Validate(100 MB manifest) allocated %d MiB, want under 24 MiB", alloc>>20)
			}
		})
	}
	// The cap is an option.
	big := strings.Repeat(" ", 2<<20) + testManifest
	raw := makeTar(t, append([]ent{file("manifest", big)}, baseRootfs...))
	if _, err := Validate(context.Background(), bytes.NewReader(raw), ValidateOptions{MaxManifestSize: 4 << 20}); err != nil {
		t.Errorf("Validate(2 MiB manifest, cap 4 MiB) = %v, want nil", err)
	}
}

// systemImageID runs `DECOMPRESSOR < path | sha512sum`.
func systemImageID(t *testing.T, decompress, path string) string {
	t.Helper()
	testutil.RequireCommand(t, "sha512sum", "coreutils")
	out, err := exec.Command("sh", "-c", decompress+` < "$1" | sha512sum`, "sh", path).Output()
	if err != nil {
		t.Fatalf("%s | sha512sum: %v", decompress, err)
	}
	return "sha512-" + strings.Fields(string(out))[0]
}

func TestImageIDSystemTools(t *testing.T) {
	tarPath := testutil.RequireCommand(t, "tar", "tar")
	layout := filepath.Join(testutil.RepoRoot(t), "testdata", "layouts", "valid")
	dir := t.TempDir()
	plain := filepath.Join(dir, "x.tar")
	// GNU tar pads to 10 KiB records: the padding is part of the image ID.
	if out, err := exec.Command(tarPath, "-C", layout, "-cf", plain, "manifest", "rootfs").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	tools := []struct {
		name, pkg, ext, decompress string
	}{
		{"gzip", "gzip", ".gz", "zcat"},
		{"bzip2", "bzip2", ".bz2", "bzcat"},
		{"xz", "xz-utils", ".xz", "xzcat"},
		{"zstd", "zstd", ".zst", "zstdcat"},
	}
	want := systemImageID(t, "cat", plain)
	for _, tool := range tools {
		t.Run(tool.name, func(t *testing.T) {
			p := testutil.RequireCommand(t, tool.name, tool.pkg)
			if out, err := exec.Command(p, "-k", "-f", plain).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", tool.name, err, out)
			}
			img := plain + tool.ext
			if got := systemImageID(t, tool.decompress, img); got != want {
				t.Fatalf("%s | sha512sum = %s, want %s (the plain tar's)", tool.decompress, got, want)
			}
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			id, err := ImageID(context.Background(), f)
			if err != nil || id != want {
				t.Errorf("ImageID(%s) = %s, %v, want %s", tool.name, id, err, want)
			}
			f.Seek(0, 0)
			res, err := Validate(context.Background(), f, ValidateOptions{})
			if err != nil || res.ID != want {
				t.Errorf("Validate(%s).ID = %s, %v, want %s", tool.name, res.ID, err, want)
			}
		})
	}
}

func TestReadManifestStopsEarly(t *testing.T) {
	// The manifest comes first; what follows is truncated mid-entry.
	raw := makeTar(t, append([]ent{manifestEnt}, append(baseRootfs, file("rootfs/big", strings.Repeat("z", 100000)))...))
	cut := raw[:len(raw)/2]
	m, b, err := ReadManifest(context.Background(), bytes.NewReader(gz(t, cut)))
	if err != nil || m == nil || string(b) != testManifest {
		t.Fatalf("ReadManifest(truncated after manifest) = %v, %q, %v, want the manifest", m, b, err)
	}
	if m.Name.String() != "example.com/test" {
		t.Errorf("ReadManifest name = %q, want example.com/test", m.Name.String())
	}
	if _, err := Validate(context.Background(), bytes.NewReader(cut), ValidateOptions{}); err == nil {
		t.Errorf("Validate(truncated) = nil, want an error")
	}
	// Manifest last: found after checking the entries before it.
	raw = makeTar(t, append(append([]ent{}, baseRootfs...), manifestEnt))
	if _, b, err := ReadManifest(context.Background(), bytes.NewReader(raw)); err != nil || string(b) != testManifest {
		t.Errorf("ReadManifest(manifest last) = %q, %v, want the manifest", b, err)
	}
	// Rule breaks before the manifest are reported.
	raw = makeTar(t, []ent{dir("rootfs"), file("rootfs/../x", ""), manifestEnt})
	if _, _, err := ReadManifest(context.Background(), bytes.NewReader(raw)); err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Errorf("ReadManifest(escaping entry first) = %v, want the escape error", err)
	}
	if _, _, err := ReadManifest(context.Background(), bytes.NewReader(makeTar(t, baseRootfs))); err == nil || !strings.Contains(err.Error(), "no image manifest") {
		t.Errorf("ReadManifest(no manifest) = %v, want no image manifest", err)
	}
}

func TestReaderEntries(t *testing.T) {
	raw := makeTar(t, with(file("rootfs/a", "hello")))
	r, err := NewReader(context.Background(), bytes.NewReader(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for {
		hdr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, hdr.Name+"="+string(b))
	}
	want := []string{"manifest=" + testManifest, "rootfs=", "rootfs/etc=", "rootfs/etc/hostname=x\n", "rootfs/a=hello"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("entries = %q, want %q", got, want)
	}
	if r.ID() != digest.Bytes(raw) || r.Kind() != compress.None {
		t.Errorf("ID, Kind = %s, %v, want %s, none", r.ID(), r.Kind(), digest.Bytes(raw))
	}
}

func FuzzReader(f *testing.F) {
	f.Add(makeTar(f, with()))
	f.Add(gz(f, makeTar(f, with(symlink("rootfs/l", "../x")))))
	f.Add(makeTar(f, with(hardlink("rootfs/h", "rootfs/etc/hostname"))))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// A small cap keeps every run fast: fuzzed streams can expand a lot.
		opts := ValidateOptions{MaxSize: 1 << 20}
		res, err := Validate(context.Background(), bytes.NewReader(b), opts)
		if err == nil && (res.Manifest == nil || res.ID == "" || res.ID != digestOf(t, b)) {
			t.Errorf("Validate accepted an image without manifest or with a wrong ID %q", res.ID)
		}
		m, _, merr := ReadManifestOptions(context.Background(), bytes.NewReader(b), opts)
		if err == nil && (merr != nil || m == nil) {
			t.Errorf("Validate accepted the image but ReadManifest = %v", merr)
		}
	})
}

// digestOf is the image ID of a fuzzed image, computed without our reader.
func digestOf(t *testing.T, b []byte) string {
	dec, _, err := compress.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image accepted by Validate, but the decompressor fails: %v", err)
	}
	defer dec.Close()
	raw, err := io.ReadAll(dec)
	if err != nil {
		t.Fatalf("image accepted by Validate, but decompressing fails: %v", err)
	}
	return digest.Bytes(raw)
}

func FuzzEntryName(f *testing.F) {
	for _, s := range []string{"manifest", "rootfs", "rootfs/a/b", "./rootfs/", "rootfs/../x", "/abs", "rootfs.bak", "rootfs//a/./b", "..", ""} {
		f.Add(s, "../x")
	}
	f.Fuzz(func(t *testing.T, name, link string) {
		clean, err := cleanName(name)
		if err != nil {
			return
		}
		if !filepath.IsLocal(clean) || (clean != ManifestName && clean != "." && !inRootfs(clean)) || strings.Contains("/"+clean+"/", "/../") {
			t.Errorf("cleanName(%q) = %q, accepted a bad name", name, clean)
		}
		var c checker
		c.check(&tar.Header{Name: "rootfs", Typeflag: tar.TypeDir})
		if n, err := c.check(&tar.Header{Name: "rootfs/d/l", Typeflag: tar.TypeSymlink, Linkname: link}); err == nil && !strings.HasPrefix(link, "/") {
			if j := filepath.Join(filepath.Dir(n), link); !inRootfs(j) {
				t.Errorf("symlink rootfs/d/l -> %q accepted, resolves to %q", link, j)
			}
		}
	})
}

// stdGzip compresses with the standard library: a foreign gzip stream, read
// by the sequential path rather than our parallel member reader.
func stdGzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := stdgzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestValidateStreamEnd: the end of the stream is checked whether or not
// the ID is computed (actool validate skips it): a gzip trailer cut off or
// corrupt, and a tar cut at an entry boundary, which archive/tar alone
// takes for a clean end.
func TestValidateStreamEnd(t *testing.T) {
	raw := makeTar(t, with(file("rootfs/zeros", strings.Repeat("\x00", 3000))))
	foreign := stdGzip(t, raw)
	badCRC := bytes.Clone(foreign)
	badCRC[len(badCRC)-8] ^= 1
	// Entry boundaries: before the end marker, and before the last entry.
	noMarker := raw[:len(raw)-2*blockSize]
	oneBlock := raw[:len(raw)-blockSize]
	lastEntry := bytes.LastIndex(raw, []byte("rootfs/zeros"))
	tests := []struct {
		name string
		in   []byte
		want string // "" means valid
	}{
		{"whole", foreign, ""},
		{"global header last", makeTar(t, append(with(), ent{name: "pax_global_header", typ: tar.TypeXGlobalHeader})), ""},
		{"trailing padding", append(bytes.Clone(raw), make([]byte, 9*blockSize)...), ""},
		{"gzip trailer cut by 1", foreign[:len(foreign)-1], "truncated gzip stream"},
		{"gzip trailer cut by 8", foreign[:len(foreign)-8], "truncated gzip stream"},
		{"gzip crc wrong", badCRC, "corrupt gzip stream"},
		{"no end marker", noMarker, "truncated archive: no end-of-archive marker"},
		{"no end marker gzip", stdGzip(t, noMarker), "truncated archive: no end-of-archive marker"},
		{"no end marker ours", gz(t, noMarker), "truncated archive: no end-of-archive marker"},
		{"one zero block", oneBlock, "truncated archive: no end-of-archive marker"},
		{"cut before last entry", raw[:lastEntry], "truncated archive: no end-of-archive marker"},
	}
	for _, tt := range tests {
		for _, skip := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/skipid=%v", tt.name, skip), func(t *testing.T) {
				_, err := Validate(context.Background(), bytes.NewReader(tt.in), ValidateOptions{SkipID: skip})
				if tt.want == "" {
					if err != nil {
						t.Errorf("Validate(%s) = %v, want nil", tt.name, err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid) {
					t.Errorf("Validate(%s) = %v, want an Invalid error containing %q", tt.name, err, tt.want)
				}
			})
		}
	}
}

func TestReaderAfterClose(t *testing.T) {
	raw := makeTar(t, with(file("rootfs/a", "hello")))
	for _, skip := range []bool{false, true} {
		r, err := NewReader(context.Background(), bytes.NewReader(gz(t, raw)), Options{SkipID: skip})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if hdr, err := r.Next(); err == nil || err == io.EOF {
			t.Errorf("Next after Close (skipid=%v) = %v, %v, want an error", skip, hdr, err)
		}
		if n, err := r.Read(make([]byte, 10)); err == nil || err == io.EOF {
			t.Errorf("Read after Close (skipid=%v) = %d, %v, want an error", skip, n, err)
		}
	}
	// Closing after the end keeps the result.
	r, _ := NewReader(context.Background(), bytes.NewReader(raw), Options{})
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	r.Close()
	if _, err := r.Next(); err != io.EOF || r.ID() != digest.Bytes(raw) {
		t.Errorf("Next, ID after the end and Close = %v, %s, want io.EOF, %s", err, r.ID(), digest.Bytes(raw))
	}
}

func TestOptionsCaps(t *testing.T) {
	raw := makeTar(t, with(file("rootfs/big", strings.Repeat("abcdefgh", 20000))))
	z := gz(t, raw)
	size := int64(len(raw))
	ctx := context.Background()
	for _, tt := range []struct {
		max  int64
		want string // "" means no error
	}{
		{0, ""},
		{size, ""},
		{size - 1, "larger than the limit"},
		{4096, "larger than the limit"},
	} {
		id, err := ImageIDOptions(ctx, bytes.NewReader(z), Options{MaxSize: tt.max})
		if tt.want == "" && (err != nil || id != digest.Bytes(raw)) {
			t.Errorf("ImageIDOptions(MaxSize %d) = %s, %v, want %s", tt.max, id, err, digest.Bytes(raw))
		}
		if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid)) {
			t.Errorf("ImageIDOptions(MaxSize %d) = %s, %v, want an Invalid error containing %q", tt.max, id, err, tt.want)
		}
	}
	// The manifest comes after 100 KiB of rootfs here.
	late := makeTar(t, append([]ent{dir("rootfs"), file("rootfs/big", strings.Repeat("z", 100<<10))}, manifestEnt))
	for _, tt := range []struct {
		name string
		opts Options
		want string
	}{
		{"defaults", Options{}, ""},
		{"manifest cap", Options{MaxManifestSize: 10}, "more than the limit of 10 bytes"},
		{"size cap before the manifest", Options{MaxSize: 64 << 10}, "larger than the limit"},
	} {
		_, b, err := ReadManifestOptions(ctx, bytes.NewReader(late), tt.opts)
		if tt.want == "" && (err != nil || string(b) != testManifest) {
			t.Errorf("ReadManifestOptions(%s) = %q, %v, want the manifest", tt.name, b, err)
		}
		if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid)) {
			t.Errorf("ReadManifestOptions(%s) = %v, want an Invalid error containing %q", tt.name, err, tt.want)
		}
	}
}
