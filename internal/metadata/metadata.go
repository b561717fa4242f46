// Package metadata serves the AppC metadata service (/acMetadata/v1) of one
// pod: the pod manifest, UUID and annotations, each app's image manifest,
// image ID and annotations, and HMAC signing with a per-pod key.
//
// acrun listens on 127.0.0.1 inside the pod's own network namespace
// (ListenInNetNS), so only the pod's apps can reach the service, and puts an
// unguessable token (128 bits) in front of every path; the apps find the URL
// in AC_METADATA_URL.
package metadata

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

const (
	// PathBase is the spec's path prefix of every endpoint.
	PathBase   = "/acMetadata/v1"
	jsonType   = "application/json"
	textType   = "text/plain; charset=us-ascii"
	flavorName = "Metadata-Flavor"
	flavor     = "AppContainer"
	maxForm    = 1 << 20
)

// App is what the service tells about one app of the pod.
type App struct {
	ImageManifest []byte // the image manifest JSON
	ImageID       string
	Annotations   []byte // image annotations overlaid with the pod app's, as JSON (nil: none)
}

// Pod is the content served.
type Pod struct {
	UUID     string
	Manifest []byte // the pod manifest JSON, served as is
	Apps     map[string]App
}

// Server answers the metadata requests of one pod.
type Server struct {
	pod         Pod
	annotations []byte
	key         []byte
	token       string
}

// NewServer makes a server with a fresh HMAC key and path token.
func NewServer(pod Pod) (*Server, error) {
	var raw struct {
		Annotations json.RawMessage `json:"annotations"`
	}
	if err := json.Unmarshal(pod.Manifest, &raw); err != nil {
		return nil, fmt.Errorf("metadata: pod manifest: %w", err)
	}
	s := &Server{pod: pod, annotations: raw.Annotations, key: make([]byte, 64)}
	if len(s.annotations) == 0 {
		// The reference validator compares what it decodes here with the
		// manifest's own field, so absent must stay null.
		s.annotations = []byte("null")
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(s.key); err != nil {
		return nil, err
	}
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	s.token = hex.EncodeToString(tok)
	return s, nil
}

// Token is the secret path prefix; the URL the apps get is
// http://ADDR/TOKEN.
func (s *Server) Token() string { return s.token }

// URL returns AC_METADATA_URL for a listener address.
func (s *Server) URL(addr string) string { return "http://" + addr + "/" + s.token }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/"+s.token+PathBase+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get(flavorName) != flavor {
		http.Error(w, "Metadata-Flavor: AppContainer header required", http.StatusBadRequest)
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "pod/manifest":
		reply(w, jsonType, s.pod.Manifest)
	case r.Method == http.MethodGet && path == "pod/uuid":
		reply(w, textType, []byte(s.pod.UUID))
	case r.Method == http.MethodGet && path == "pod/annotations":
		reply(w, jsonType, s.annotations)
	case r.Method == http.MethodPost && path == "pod/hmac/sign":
		s.sign(w, r)
	case r.Method == http.MethodPost && path == "pod/hmac/verify":
		s.verify(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "apps/"):
		s.app(w, r, strings.TrimPrefix(path, "apps/"))
	default:
		http.NotFound(w, r)
	}
}

func reply(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) app(w http.ResponseWriter, r *http.Request, rest string) {
	name, what, ok := strings.Cut(rest, "/")
	app, found := s.pod.Apps[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	switch what {
	case "annotations":
		ann := app.Annotations
		if len(ann) == 0 {
			ann = []byte("[]")
		}
		reply(w, jsonType, ann)
	case "image/manifest":
		reply(w, jsonType, app.ImageManifest)
	case "image/id":
		reply(w, textType, []byte(app.ImageID))
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) mac(content string) []byte {
	m := hmac.New(sha512.New, s.key)
	m.Write([]byte(s.pod.UUID))
	m.Write([]byte{0})
	m.Write([]byte(content))
	return m.Sum(nil)
}

func (s *Server) form(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func (s *Server) sign(w http.ResponseWriter, r *http.Request) {
	if !s.form(w, r) {
		return
	}
	content, ok := r.PostForm["content"]
	if !ok {
		http.Error(w, "content missing", http.StatusBadRequest)
		return
	}
	reply(w, textType, []byte(base64.StdEncoding.EncodeToString(s.mac(content[0]))))
}

// verify answers 200 when signature is this pod's HMAC of content and uuid
// names this pod, 403 otherwise.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if !s.form(w, r) {
		return
	}
	sig, err := base64.StdEncoding.DecodeString(r.PostForm.Get("signature"))
	if err != nil || r.PostForm.Get("uuid") != s.pod.UUID ||
		!hmac.Equal(sig, s.mac(r.PostForm.Get("content"))) {
		http.Error(w, "signature does not verify", http.StatusForbidden)
		return
	}
	reply(w, textType, nil)
}
