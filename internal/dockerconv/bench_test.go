package dockerconv

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/aci"
)

// benchTree writes a rootfs of about mb megabytes (files of 4 KiB to 4 MiB of
// half-compressible data) both as a directory layout and as a docker save
// archive with two layers, so both converters see the same tree.
func benchTree(b *testing.B, mb int) (layoutDir, archive string) {
	b.Helper()
	dir := b.TempDir()
	layoutDir = filepath.Join(dir, "layout")
	rootfs := filepath.Join(layoutDir, "rootfs")
	rng := rand.New(rand.NewPCG(1, 2))
	var total int64
	for i := 0; total < int64(mb)<<20; i++ {
		size := 4<<10 + rng.IntN(4<<20)
		data := make([]byte, size)
		for j := 0; j < size; j += 2 {
			data[j] = byte(rng.Uint32())
		}
		p := filepath.Join(rootfs, fmt.Sprintf("d%02d/f%05d", i%50, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(size)
	}
	m := `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"bench"}`
	os.WriteFile(filepath.Join(layoutDir, "manifest"), []byte(m), 0o644)

	// The archive: layer 1 = everything, layer 2 = a whiteout and one file.
	archive = filepath.Join(dir, "bench.tar")
	f, err := os.Create(archive)
	if err != nil {
		b.Fatal(err)
	}
	tw := tar.NewWriter(f)
	id1, id2 := strings.Repeat("1", 64), strings.Repeat("2", 64)
	addJSON := func(name string, v any) {
		js, _ := json.Marshal(v)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(js)), Typeflag: tar.TypeReg})
		tw.Write(js)
	}
	addJSON(id1+"/json", map[string]any{"id": id1})
	// layer.tar is written through a temp file to learn its size.
	lt := filepath.Join(dir, "layer.tar")
	lf, _ := os.Create(lt)
	ltw := tar.NewWriter(lf)
	filepath.Walk(rootfs, func(p string, fi os.FileInfo, err error) error {
		rel, _ := filepath.Rel(rootfs, p)
		if rel == "." {
			return nil
		}
		h, _ := tar.FileInfoHeader(fi, "")
		h.Name = rel
		ltw.WriteHeader(h)
		if fi.Mode().IsRegular() {
			src, _ := os.Open(p)
			io.Copy(ltw, src)
			src.Close()
		}
		return nil
	})
	ltw.Close()
	st, _ := lf.Stat()
	lf.Seek(0, 0)
	tw.WriteHeader(&tar.Header{Name: id1 + "/layer.tar", Mode: 0o644, Size: st.Size(), Typeflag: tar.TypeReg})
	io.Copy(tw, lf)
	lf.Close()
	os.Remove(lt)
	addJSON(id2+"/json", map[string]any{"id": id2, "parent": id1, "os": "linux", "architecture": "amd64", "config": map[string]any{"Cmd": []string{"/x"}}})
	l2 := tarBytes([]tarEntry{{name: "d00/.wh.none"}, {name: "extra", data: "x"}})
	tw.WriteHeader(&tar.Header{Name: id2 + "/layer.tar", Mode: 0o644, Size: int64(len(l2)), Typeflag: tar.TypeReg})
	tw.Write(l2)
	addJSON("repositories", map[string]map[string]string{"bench": {"latest": id2}})
	tw.Close()
	f.Close()
	return layoutDir, archive
}

// BenchmarkConvert compares converting a docker save archive (squashed, gzip)
// with aci.Build of the same tree on disk; both end in the same gzip writer.
// DOCKERCONV_BENCH_MB sets the size (default 64; the figure is 300).
func BenchmarkConvert(b *testing.B) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("DOCKERCONV_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	layoutDir, archive := benchTree(b, mb)
	st, _ := os.Stat(archive)
	b.Run("docker2aci", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			if _, err := Convert(context.Background(), Source{Kind: Archive, Path: archive}, io.Discard, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("actool-build", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			if _, err := aci.Build(context.Background(), layoutDir, io.Discard, aci.BuildOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
