package schema

import "github.com/acikit/acikit/internal/schema/types"

// Warnings lists what in a valid image manifest breaks a check stricter
// than the spec text: the spec allows it, but an executor may not run it
// as the author meant (an empty program name, a repeated isolator, ...).
// Each is an *Error at its JSON path. actool validate prints them, and
// refuses them with --strict.
func (m *ImageManifest) Warnings() []*Error {
	var w warnings
	w.version(m.ACVersion)
	w.add("name", m.Name.Lint())
	w.add("labels", m.Labels.Lint()...)
	if m.App != nil {
		w.add("app", m.App.Lint()...)
	}
	w.add("annotations", m.Annotations.Lint()...)
	for i, d := range m.Dependencies {
		w.add("dependencies", atIndexAll(i, "imageName", []error{d.ImageName.Lint()})...)
		w.add("dependencies", atIndexAll(i, "labels", d.Labels.Lint())...)
	}
	return w
}

// Warnings lists what in a valid pod manifest breaks a check stricter than
// the spec text (see ImageManifest.Warnings).
func (m *PodManifest) Warnings() []*Error {
	var w warnings
	w.version(m.ACVersion)
	for i, a := range m.Apps {
		if a.Image.Name != nil {
			w.add("apps", atIndexAll(i, "image", []error{types.AtField("name", a.Image.Name.Lint())})...)
		}
		w.add("apps", atIndexAll(i, "image", prefixAll("labels", a.Image.Labels.Lint()))...)
		if a.App != nil {
			w.add("apps", atIndexAll(i, "app", a.App.Lint())...)
		}
		for j, mt := range a.Mounts {
			if mt.AppVolume != nil {
				w.add("apps", atIndexAll(i, "mounts", atIndexAll(j, "appVolume", mt.AppVolume.Lint()))...)
			}
		}
	}
	for i, v := range m.Volumes {
		w.add("volumes", atIndexAll(i, "", v.Lint())...)
	}
	w.add("isolators", types.Isolators(m.Isolators).Lint(false)...)
	return w
}

type warnings []*Error

func (w *warnings) add(field string, errs ...error) {
	for _, err := range errs {
		if err == nil {
			continue
		}
		if e, ok := toError(types.AtField(field, err)).(*Error); ok {
			*w = append(*w, e)
		}
	}
}

// version warns of an acVersion outside the major series acikit
// implements: types.md says versions "must be compatible on major AC
// version series", which a reader can only check against its own.
func (w *warnings) version(v types.SemVer) {
	if v.Empty() || v.Major == AppContainerSemVer.Major {
		return
	}
	w.add("acVersion", invalidf(types.ErrSemVer, "acVersion %s is not of the %s major series: it may not mean what acikit reads", v, AppContainerVersion))
}

func prefixAll(field string, errs []error) []error {
	out := make([]error, len(errs))
	for k, err := range errs {
		out[k] = types.AtField(field, err)
	}
	return out
}

// atIndexAll places errs at [i].field (field "" for the element itself).
func atIndexAll(i int, field string, errs []error) []error {
	out := make([]error, len(errs))
	for k, err := range errs {
		if field != "" {
			err = types.AtField(field, err)
		}
		out[k] = types.AtIndex(i, err)
	}
	return out
}
