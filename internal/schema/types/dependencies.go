package types

// Dependency is an image this image is layered on, by name (+labels) and
// optionally pinned by ID.
type Dependency struct {
	ImageName ACIdentifier `json:"imageName"`
	ImageID   *Hash        `json:"imageID,omitempty"`
	Labels    Labels       `json:"labels,omitempty"`
	Size      uint         `json:"size,omitempty"`
}

// AssertValid checks the dependency.
func (d Dependency) AssertValid() error {
	if d.ImageName.Empty() {
		return atField("imageName", invalid(ErrDependency, "imageName cannot be empty"))
	}
	if err := d.ImageName.AssertValid(); err != nil {
		return atField("imageName", err)
	}
	if d.ImageID != nil {
		if err := d.ImageID.AssertValid(); err != nil {
			return atField("imageID", err)
		}
	}
	return atField("labels", d.Labels.AssertValid())
}

func (d *Dependency) UnmarshalJSON(data []byte) error {
	type plain Dependency
	var v plain
	if err := decodeStruct(data, &v); err != nil {
		return err
	}
	if err := Dependency(v).AssertValid(); err != nil {
		return err
	}
	*d = Dependency(v)
	return nil
}

func (d Dependency) MarshalJSON() ([]byte, error) {
	if err := d.AssertValid(); err != nil {
		return nil, err
	}
	type plain Dependency
	return Marshal(plain(d))
}

// Dependencies is the ordered dependency list; earlier entries are
// rendered first (later ones and the image itself override them).
type Dependencies []Dependency
