package types

// Well-known annotation names with checked values.
const (
	AnnotationCreated       = "created"
	AnnotationHomepage      = "homepage"
	AnnotationDocumentation = "documentation"
	AnnotationAuthors       = "authors"
	// AnnotationSystemdNotify is a "string boolean" (aci.md).
	AnnotationSystemdNotify = "appc.io/executor/supports-systemd-notify"
)

// Annotation is one {name, value} pair.
type Annotation struct {
	Name  ACIdentifier `json:"name"`
	Value string       `json:"value"`
}

// Annotations is an ordered list with unique names; "created" must be an
// RFC 3339 date and "homepage"/"documentation" http(s) URLs.
type Annotations []Annotation

// Get returns the value of the annotation name.
func (a Annotations) Get(name string) (string, bool) {
	for _, an := range a {
		if string(an.Name) == name {
			return an.Value, true
		}
	}
	return "", false
}

// Set replaces the value of name or appends it.
func (a *Annotations) Set(name ACIdentifier, value string) {
	for i, an := range *a {
		if an.Name == name {
			(*a)[i].Value = value
			return
		}
	}
	*a = append(*a, Annotation{Name: name, Value: value})
}

// AssertPodValid checks the list as a pod's (or a pod app's): pods.md
// restricts their names to the AC Name formatting.
func (a Annotations) AssertPodValid() error {
	if err := a.AssertValid(); err != nil {
		return err
	}
	for i, an := range a {
		if _, err := NewACName(string(an.Name)); err != nil {
			return atIndex(i, atField("name", invalid(ErrAnnotations, "pod annotation names are AC Names: %v", err)))
		}
	}
	return nil
}

// AssertValid checks names, duplicates and the well-known values.
func (a Annotations) AssertValid() error {
	seen := map[ACIdentifier]bool{}
	for i, an := range a {
		if err := an.Name.AssertValid(); err != nil {
			return atIndex(i, atField("name", err))
		}
		if seen[an.Name] {
			return atIndex(i, invalid(ErrAnnotations, "duplicate annotations of name %q", string(an.Name)))
		}
		seen[an.Name] = true
		var err error
		switch an.Name {
		case AnnotationCreated:
			_, err = NewDate(an.Value)
		case AnnotationHomepage, AnnotationDocumentation:
			_, err = NewURL(an.Value)
		case AnnotationSystemdNotify:
			if an.Value != "true" && an.Value != "false" {
				err = invalid(ErrAnnotations, `want "true" or "false", got %q`, an.Value)
			}
		}
		if err != nil {
			return atIndex(i, atField("value", invalid(ErrAnnotations, "%s: %v", string(an.Name), err)))
		}
	}
	return nil
}

func (a *Annotations) UnmarshalJSON(data []byte) error {
	v, err := decodeList[Annotation](data)
	if err != nil {
		return err
	}
	if err := Annotations(v).AssertValid(); err != nil {
		return err
	}
	*a = v
	return nil
}

func (a Annotations) MarshalJSON() ([]byte, error) {
	if err := a.AssertValid(); err != nil {
		return nil, err
	}
	return Marshal([]Annotation(a))
}

// UserAnnotations and UserLabels are free string maps set by users.
type (
	UserAnnotations map[string]string
	UserLabels      map[string]string
)

func (a *Annotation) UnmarshalJSON(data []byte) error {
	return pairValue(data, "annotation", &a.Name, &a.Value)
}

// Lint lists the annotations' names that break a check stricter than the
// spec (ACIdentifier.Lint).
func (a Annotations) Lint() []error {
	var out []error
	for i, an := range a {
		if err := an.Name.Lint(); err != nil {
			out = append(out, atIndex(i, atField("name", err)))
		}
	}
	return out
}
