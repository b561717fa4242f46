package dockerconv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Image is a resolved source: its config is read, its layers are ready to
// stream. Close releases spool files.
type Image struct {
	opts *Options
	src  Source

	cfg          *dockerConfig
	imageID      string // config digest, or the v1 id of the top layer
	parentID     string
	manifestHash string

	registry   string // "" for files
	repository string
	tag        string

	layers  []imgLayer // base first
	total   int64      // stored bytes of all layers, -1 if unknown
	done    int64
	cleanup []func()
}

type imgLayer struct {
	id   string // "sha256:<diffid>" or a v1 layer id
	size int64
	open func(ctx context.Context, progress func(int64)) (io.ReadCloser, error)
}

// Close removes temporary files.
func (im *Image) Close() error {
	for _, f := range im.cleanup {
		f()
	}
	im.cleanup = nil
	return nil
}

// Layers returns the layer IDs, base first.
func (im *Image) Layers() []string {
	ids := make([]string, len(im.layers))
	for i, l := range im.layers {
		ids[i] = l.id
	}
	return ids
}

// Open resolves src and reads its config; layer data is read later by
// WriteSquashed or WriteLayers.
func Open(ctx context.Context, src Source, opts Options) (*Image, error) {
	im := &Image{opts: &opts, src: src, total: -1}
	var err error
	switch src.Kind {
	case Registry:
		err = im.openRemote(ctx)
	case Layout:
		err = im.openLayout()
	case Archive:
		err = im.openArchive(ctx)
	default:
		err = fmt.Errorf("unknown source kind %d", src.Kind)
	}
	if err != nil {
		im.Close()
		return nil, err
	}
	if len(im.layers) == 0 {
		im.Close()
		return nil, errkind.Invalidf("image has no layers")
	}
	return im, nil
}

func (im *Image) progress(n int64) {
	im.done += n
	if im.opts.Progress != nil {
		im.opts.Progress(im.done, im.total)
	}
}

func (im *Image) sumSizes() {
	im.total = 0
	for _, l := range im.layers {
		if l.size < 0 {
			im.total = -1
			return
		}
		im.total += l.size
	}
}

// --- archives -----------------------------------------------------------

// openArchive spools pipes and whole-archive compression to a temporary file
// (the tar index needs a seekable plain file), then recognises the shape.
func (im *Image) openArchive(ctx context.Context) error {
	p := im.src.Path
	var in io.Reader
	if p == "-" {
		if im.src.Stdin == nil {
			return errkind.Usagef("no stdin to read the archive from")
		}
		in = im.src.Stdin
	} else {
		f, err := os.Open(p)
		if err != nil {
			return errkind.Mark(fmt.Errorf("open archive: %w", err), errkind.NotFound)
		}
		st, err := f.Stat()
		if err == nil && st.Mode().IsRegular() {
			// ReadAt leaves the offset alone for the tar index.
			magic := make([]byte, 4)
			n, _ := f.ReadAt(magic, 0)
			if !bytes.HasPrefix(magic[:n], gzipMagic) && !bytes.HasPrefix(magic[:n], zstdMagic) {
				im.cleanup = append(im.cleanup, func() { f.Close() })
				return im.indexedArchive(f)
			}
		}
		im.cleanup = append(im.cleanup, func() { f.Close() })
		in = f
	}
	f, err := spool(ctx, in, im.opts.TempDir)
	if err != nil {
		return fmt.Errorf("spool archive %s: %w", p, err)
	}
	im.cleanup = append(im.cleanup, func() { f.Close(); os.Remove(f.Name()) })
	im.opts.logger().Debugf("archive %s spooled to %s", p, f.Name())
	return im.indexedArchive(f)
}

// spool copies r (decompressed if gzip or zstd) to a temporary file.
func spool(ctx context.Context, r io.Reader, dir string) (*os.File, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	var src io.Reader = br
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errkind.Invalidf("gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, errkind.Invalidf("zstd: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	f, err := os.CreateTemp(dir, "docker2aci-spool-*.tar")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, ctxReader{ctx, src}); err != nil {
		f.Close()
		os.Remove(f.Name())
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = errkind.Invalidf("archive truncated: %w", err)
		}
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (im *Image) indexedArchive(f *os.File) error {
	display := im.src.Path
	if display == "-" {
		display = "standard input"
	}
	idx, err := indexArchive(f, display)
	if err != nil {
		return err
	}
	switch {
	case idx.has("manifest.json"):
		return im.dockerArchive(idx, f.Name())
	case idx.has("index.json"):
		base := strings.TrimSuffix(filepath.Base(im.src.Path), filepath.Ext(im.src.Path))
		return im.ociImage(archiveBlobs{idx}, base)
	case idx.has("repositories"):
		return im.legacyArchive(idx)
	}
	return errkind.Invalidf("%s: not an image archive (no manifest.json, index.json or repositories)", im.src.Path)
}

// dockerArchive reads a manifest.json archive (Docker 1.10+, skopeo,
// buildah) with go-containerregistry's tarball package, which re-opens the
// file for each member and follows layer.tar links.
func (im *Image) dockerArchive(idx *archiveIndex, file string) error {
	var mf tarball.Manifest
	if err := idx.readJSON("manifest.json", &mf); err != nil {
		return err
	}
	if len(mf) == 0 {
		return errkind.Invalidf("%s: manifest.json lists no image", im.src.Path)
	}
	desc, repoTag, err := pickDockerImage(mf, im.src.Ref)
	if err != nil {
		return fmt.Errorf("%s: %w", im.src.Path, err)
	}
	opener := func() (io.ReadCloser, error) { return os.Open(file) }
	var tagp *name.Tag
	if len(mf) > 1 {
		t, err := name.NewTag(repoTag, name.WeakValidation)
		if err != nil {
			return errkind.Invalidf("%s: repo tag %q: %w", im.src.Path, repoTag, err)
		}
		tagp = &t
	}
	img, err := tarball.Image(opener, tagp)
	if err != nil {
		return errkind.Invalidf("%s: %w", im.src.Path, err)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("%s: read config: %w", im.src.Path, err)
	}
	if im.cfg, err = parseConfig(raw); err != nil {
		return fmt.Errorf("%s: %w", im.src.Path, err)
	}
	sum := sha256.Sum256(raw)
	im.imageID = "sha256:" + hex.EncodeToString(sum[:])
	im.manifestHash = im.imageID
	if repoTag != "" {
		im.repository, im.tag = fileRepoTag(repoTag)
	}
	if im.cfg.RootFS == nil || len(im.cfg.RootFS.DiffIDs) != len(desc.Layers) {
		return errkind.Invalidf("%s: config lists %d layers, manifest.json %d", im.src.Path, len(diffIDs(im.cfg)), len(desc.Layers))
	}
	for i, d := range im.cfg.RootFS.DiffIDs {
		h, err := v1.NewHash(d)
		if err != nil {
			return errkind.Invalidf("%s: diff id %q: %w", im.src.Path, d, err)
		}
		l, err := img.LayerByDiffID(h)
		if err != nil {
			return errkind.Invalidf("%s: layer %s: %w", im.src.Path, d, err)
		}
		size := int64(-1)
		if e, err := idx.lookup(desc.Layers[i]); err == nil {
			size = e.size
		} else {
			return fmt.Errorf("%s: layer %s: %w", im.src.Path, desc.Layers[i], err)
		}
		what := "layer " + d
		im.layers = append(im.layers, imgLayer{id: d, size: size, open: func(_ context.Context, p func(int64)) (io.ReadCloser, error) {
			rc, err := l.Uncompressed()
			if err != nil {
				return nil, err
			}
			return decodeLayer(rc, v1.Hash{}, h, what, p)
		}})
	}
	im.sumSizes()
	return nil
}

func diffIDs(c *dockerConfig) []string {
	if c.RootFS == nil {
		return nil
	}
	return c.RootFS.DiffIDs
}

// pickDockerImage chooses the manifest.json entry named by ref (NAME[:TAG],
// compared after Docker normalisation), or the only one.
func pickDockerImage(mf tarball.Manifest, ref string) (tarball.Descriptor, string, error) {
	if ref == "" {
		if len(mf) > 1 {
			var all []string
			for _, d := range mf {
				all = append(all, d.RepoTags...)
			}
			return tarball.Descriptor{}, "", errkind.Usagef("archive holds %d images, use --image with one of: %s", len(mf), strings.Join(all, ", "))
		}
		tag := ""
		if len(mf[0].RepoTags) > 0 {
			tag = mf[0].RepoTags[0]
		}
		return mf[0], tag, nil
	}
	want, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		return tarball.Descriptor{}, "", errkind.Usagef("--image %q: %w", ref, err)
	}
	var all []string
	for _, d := range mf {
		for _, rt := range d.RepoTags {
			all = append(all, rt)
			if t, err := name.NewTag(rt, name.WeakValidation); err == nil && t.Name() == want.Name() {
				return d, rt, nil
			}
		}
	}
	return tarball.Descriptor{}, "", errkind.NotFoundf("no image %q in archive (it holds: %s)", ref, strings.Join(all, ", "))
}

// fileRepoTag names an image found in a file: Docker Hub names lose their
// registry (docker.io/library/busybox and busybox both give library/busybox,
// as the reference names files), other registries stay part of the name.
func fileRepoTag(s string) (repo, tag string) {
	t, err := name.NewTag(s, name.WeakValidation)
	if err != nil {
		return splitRepoTag(s)
	}
	repo = t.RepositoryStr()
	if reg := t.RegistryStr(); reg != name.DefaultRegistry {
		repo = reg + "/" + repo
	}
	return repo, t.TagStr()
}

// splitRepoTag splits "repo[:tag]" (the colon after the last slash).
func splitRepoTag(s string) (repo, tag string) {
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// --- legacy docker save (repositories + <id>/json + <id>/layer.tar) ------

var layerIDRe = regexp.MustCompile(`^(\w+:)?[A-Fa-f0-9]+$`)

func (im *Image) legacyArchive(idx *archiveIndex) error {
	var repos map[string]map[string]string
	if err := idx.readJSON("repositories", &repos); err != nil {
		return err
	}
	repo, tag, top, err := pickLegacy(repos, im.src.Ref)
	if err != nil {
		return fmt.Errorf("%s: %w", im.src.Path, err)
	}
	im.repository, im.tag = fileRepoTag(repo + ":" + tag)
	var chain []string
	seen := map[string]bool{}
	for id := top; id != ""; {
		if !layerIDRe.MatchString(id) {
			return errkind.Invalidf("%s: bad layer id %q", im.src.Path, id)
		}
		if seen[id] {
			return errkind.Invalidf("%s: layer %s: parent loop", im.src.Path, id)
		}
		seen[id] = true
		var raw []byte
		if err := idx.readJSON(id+"/json", &raw); err != nil {
			return err
		}
		c, err := parseConfig(raw)
		if err != nil {
			return fmt.Errorf("%s: layer %s: %w", im.src.Path, id, err)
		}
		if id == top {
			im.cfg = c
			im.parentID = c.Parent
		}
		chain = append(chain, id)
		id = c.Parent
	}
	im.imageID, im.manifestHash = top, top
	for i := len(chain) - 1; i >= 0; i-- {
		id := chain[i]
		e, err := idx.lookup(id + "/layer.tar")
		if err != nil {
			return err
		}
		what := "layer " + id
		im.layers = append(im.layers, imgLayer{id: id, size: e.size, open: func(_ context.Context, p func(int64)) (io.ReadCloser, error) {
			rc, _, err := idx.open(id + "/layer.tar")
			if err != nil {
				return nil, err
			}
			return decodeLayer(rc, v1.Hash{}, v1.Hash{}, what, p)
		}})
	}
	im.sumSizes()
	return nil
}

// pickLegacy chooses repo and tag from a repositories file.
func pickLegacy(repos map[string]map[string]string, ref string) (repo, tag, id string, err error) {
	var all []string
	for r, tags := range repos {
		for t := range tags {
			all = append(all, r+":"+t)
		}
	}
	sort.Strings(all)
	if len(all) == 0 {
		return "", "", "", errkind.Invalidf("repositories file lists no image")
	}
	if ref == "" {
		if len(all) > 1 {
			return "", "", "", errkind.Usagef("archive holds %d images, use --image with one of: %s", len(all), strings.Join(all, ", "))
		}
		repo, tag = splitRepoTag(all[0])
		return repo, tag, repos[repo][tag], nil
	}
	want, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		return "", "", "", errkind.Usagef("--image %q: %w", ref, err)
	}
	for _, rt := range all {
		if t, err := name.NewTag(rt, name.WeakValidation); err == nil && t.Name() == want.Name() {
			r, t := splitRepoTag(rt)
			return r, t, repos[r][t], nil
		}
	}
	return "", "", "", errkind.NotFoundf("no image %q in archive (it holds: %s)", ref, strings.Join(all, ", "))
}

// --- OCI layouts and oci-archives ---------------------------------------

// blobStore reads blobs of an OCI layout, on disk or inside an archive.
type blobStore interface {
	openBlob(h v1.Hash) (io.ReadCloser, int64, error)
	readIndex() ([]byte, error)
}

type archiveBlobs struct{ idx *archiveIndex }

func (a archiveBlobs) openBlob(h v1.Hash) (io.ReadCloser, int64, error) {
	return a.idx.open(path.Join("blobs", h.Algorithm, h.Hex))
}

func (a archiveBlobs) readIndex() ([]byte, error) {
	var b []byte
	err := a.idx.readJSON("index.json", &b)
	return b, err
}

type dirBlobs struct{ root *os.Root }

func (d dirBlobs) openBlob(h v1.Hash) (io.ReadCloser, int64, error) {
	f, err := d.root.Open(path.Join("blobs", h.Algorithm, h.Hex))
	if err != nil {
		return nil, 0, errkind.Mark(fmt.Errorf("blob %s: %w", h, err), errkind.NotFound)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

func (d dirBlobs) readIndex() ([]byte, error) {
	f, err := d.root.Open("index.json")
	if errors.Is(err, os.ErrNotExist) {
		// The directory exists (OpenRoot succeeded): it is the wrong thing.
		return nil, errkind.Invalidf("not an OCI layout: no index.json")
	}
	if err != nil {
		return nil, fmt.Errorf("open index.json: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read index.json: %w", err)
	}
	if len(b) > maxConfigSize {
		return nil, errkind.Invalidf("index.json: larger than %d bytes", maxConfigSize)
	}
	return b, nil
}

func (im *Image) openLayout() error {
	root, err := os.OpenRoot(im.src.Path)
	if err != nil {
		return errkind.Mark(fmt.Errorf("open layout: %w", err), errkind.NotFound)
	}
	im.cleanup = append(im.cleanup, func() { root.Close() })
	return im.ociImage(dirBlobs{root}, filepath.Base(filepath.Clean(im.src.Path)))
}

// readBlob reads a small blob and checks its digest.
func readBlob(bs blobStore, h v1.Hash) ([]byte, error) {
	rc, size, err := bs.openBlob(h)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > maxConfigSize {
		return nil, errkind.Invalidf("blob %s: larger than %d bytes", h, maxConfigSize)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxConfigSize))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	if err := checkDigest(b, h); err != nil {
		return nil, err
	}
	return b, nil
}

func checkDigest(b []byte, h v1.Hash) error {
	if h.Algorithm != "sha256" {
		return errkind.Invalidf("blob %s: unsupported digest algorithm", h)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != h.Hex {
		return errkind.Invalidf("blob %s: digest mismatch: got sha256:%s", h, got)
	}
	return nil
}

const refNameAnnotation = "org.opencontainers.image.ref.name"

// ociImage resolves index.json: the entry whose ref name is src.Ref (or the
// only entry), then a platform when that is an index itself.
func (im *Image) ociImage(bs blobStore, defaultName string) error {
	raw, err := bs.readIndex()
	if err != nil {
		return fmt.Errorf("%s: %w", im.src.Path, err)
	}
	index, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return errkind.Invalidf("%s: index.json: %w", im.src.Path, err)
	}
	var desc *v1.Descriptor
	var refs []string
	for i, d := range index.Manifests {
		rn := d.Annotations[refNameAnnotation]
		refs = append(refs, rn)
		if im.src.Ref != "" && (rn == im.src.Ref || refTag(rn) == im.src.Ref) {
			desc = &index.Manifests[i]
			break
		}
	}
	switch {
	case desc != nil:
	case im.src.Ref != "":
		return errkind.NotFoundf("%s: no image %q in the index (it holds: %s)", im.src.Path, im.src.Ref, strings.Join(refs, ", "))
	case len(index.Manifests) == 1:
		desc = &index.Manifests[0]
	case len(index.Manifests) == 0:
		return errkind.Invalidf("%s: index.json lists no image", im.src.Path)
	default:
		return errkind.Usagef("%s: layout holds %d images, name one with --image (or oci:DIR:TAG): %s", im.src.Path, len(index.Manifests), strings.Join(refs, ", "))
	}
	rn := desc.Annotations[refNameAnnotation]
	im.repository, im.tag = defaultName, rn
	if strings.ContainsAny(rn, "/:@") {
		im.repository, im.tag = splitRepoTag(rn)
	}
	im.repository = strings.ToLower(im.repository)
	for depth := 0; desc.MediaType.IsIndex(); depth++ {
		if depth > 4 {
			return errkind.Invalidf("%s: indexes nested too deep", im.src.Path)
		}
		b, err := readBlob(bs, desc.Digest)
		if err != nil {
			return fmt.Errorf("%s: %w", im.src.Path, err)
		}
		sub, err := v1.ParseIndexManifest(bytes.NewReader(b))
		if err != nil {
			return errkind.Invalidf("%s: index %s: %w", im.src.Path, desc.Digest, err)
		}
		if desc, err = pickPlatform(sub.Manifests, im.opts.Platform); err != nil {
			return fmt.Errorf("%s: %w", im.src.Path, err)
		}
	}
	b, err := readBlob(bs, desc.Digest)
	if err != nil {
		return fmt.Errorf("%s: %w", im.src.Path, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(b))
	if err != nil {
		return errkind.Invalidf("%s: manifest %s: %w", im.src.Path, desc.Digest, err)
	}
	im.manifestHash = desc.Digest.String()
	cfgRaw, err := readBlob(bs, m.Config.Digest)
	if err != nil {
		return fmt.Errorf("%s: config: %w", im.src.Path, err)
	}
	return im.fromManifest(m, cfgRaw, func(h v1.Hash) (io.ReadCloser, error) {
		rc, _, err := bs.openBlob(h)
		return rc, err
	})
}

func refTag(rn string) string {
	_, t := splitRepoTag(rn)
	return t
}

// fromManifest fills config and layers from a schema2 / OCI manifest.
func (im *Image) fromManifest(m *v1.Manifest, cfgRaw []byte, open func(v1.Hash) (io.ReadCloser, error)) error {
	var err error
	if im.cfg, err = parseConfig(cfgRaw); err != nil {
		return err
	}
	im.imageID = m.Config.Digest.String()
	ids := diffIDs(im.cfg)
	if len(ids) != len(m.Layers) {
		return errkind.Invalidf("config lists %d layers, manifest %d", len(ids), len(m.Layers))
	}
	for i, d := range m.Layers {
		diff, err := v1.NewHash(ids[i])
		if err != nil {
			return errkind.Invalidf("diff id %q: %w", ids[i], err)
		}
		if d.MediaType.IsDistributable() == false || len(d.URLs) > 0 {
			return errkind.Invalidf("layer %s: foreign (non-distributable) layers are not supported", d.Digest)
		}
		digest := d.Digest
		what := "layer " + digest.String()
		im.layers = append(im.layers, imgLayer{id: ids[i], size: d.Size, open: func(ctx context.Context, p func(int64)) (io.ReadCloser, error) {
			rc, err := open(digest)
			if err != nil {
				return nil, err
			}
			return decodeLayer(rc, digest, diff, what, p)
		}})
	}
	im.sumSizes()
	return nil
}
