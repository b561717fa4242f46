package dockerconv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/acikit/acikit/internal/errkind"
)

// maxConfigSize caps every JSON document read from an image (configs,
// manifests, indexes, repositories files): they are small, and a cap keeps
// a hostile archive from making us buffer a layer.
const maxConfigSize = 8 << 20

// dockerConfig is the part of a Docker image config (schema2/OCI config blob,
// or a v1 image JSON from a legacy archive or a schema1 history entry) that
// the mapping uses. Both shapes share these keys.
type dockerConfig struct {
	ID           string       `json:"id"`     // v1 only
	Parent       string       `json:"parent"` // v1 only
	Created      *time.Time   `json:"created"`
	Author       string       `json:"author"`
	Comment      string       `json:"comment"`
	Architecture string       `json:"architecture"`
	OS           string       `json:"os"`
	Variant      string       `json:"variant"`
	Config       *runConfig   `json:"config"`
	RootFS       *rootFS      `json:"rootfs"`
	Throwaway    bool         `json:"throwaway"` // schema1 empty layers
	History      []historyRec `json:"history"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type historyRec struct {
	EmptyLayer bool `json:"empty_layer"`
}

type runConfig struct {
	User         string              `json:"User"`
	Env          []string            `json:"Env"`
	Cmd          strList             `json:"Cmd"`
	Entrypoint   strList             `json:"Entrypoint"`
	WorkingDir   string              `json:"WorkingDir"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts"`
	PortSpecs    []string            `json:"PortSpecs"`
	Volumes      map[string]struct{} `json:"Volumes"`
	Labels       map[string]string   `json:"Labels"`
}

// strList is Docker's strslice: a JSON array of strings, a single string, or
// null. present tells null/absent apart from an empty list.
type strList struct {
	list    []string
	present bool
}

func (s *strList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = strList{}
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = strList{list: []string{one}, present: true}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = strList{list: many, present: true}
	return nil
}

// parseConfig decodes a config or v1 image JSON.
func parseConfig(data []byte) (*dockerConfig, error) {
	if len(data) > maxConfigSize {
		return nil, errkind.Invalidf("image config: larger than %d bytes", maxConfigSize)
	}
	var c dockerConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, errkind.Invalidf("image config: %w", err)
	}
	if c.Config == nil {
		c.Config = &runConfig{}
	}
	return &c, nil
}

// jsonString renders a list the way the reference stores entrypoint/cmd
// annotations.
func jsonString(v []string) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal string list: %v", err))
	}
	return string(b)
}
