package types

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// jsonError turns an encoding/json error into a *ValueError (keeping the
// path encoding/json knows for type mismatches).
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		ve := invalid(ErrJSONType, "cannot use JSON %s as %s", te.Value, goTypeName(te.Type))
		if te.Field != "" {
			return &FieldError{Path: te.Field, Err: ve}
		}
		return ve
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalid(ErrJSONType, "%s", se.Error())
	}
	var ve *ValueError
	var fe *FieldError
	if errors.As(err, &ve) || errors.As(err, &fe) {
		return err
	}
	return invalid(ErrJSONType, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

func goTypeName(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Pointer:
		return goTypeName(t.Elem())
	}
	return t.String()
}

// decodeJSON unmarshals data into v, converting errors.
func decodeJSON(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// decodeList decodes a JSON list element by element so an error names the
// index of the bad element. JSON null gives nil.
func decodeList[T any](data []byte) ([]T, error) {
	var out []T
	err := decodeValue(data, &out)
	return out, err
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodeValue decodes data into ptr. Lists are decoded element by element
// and structs (without their own UnmarshalJSON) field by field, so that an
// error carries the JSON path of the bad value; encoding/json itself drops
// the location of errors returned by UnmarshalJSON methods.
func decodeValue(data []byte, ptr any) error {
	pv := reflect.ValueOf(ptr)
	t := pv.Type().Elem()
	if pv.Type().Implements(unmarshalerType) {
		return decodeJSON(data, ptr)
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			break
		}
		var raws []json.RawMessage
		if err := decodeJSON(data, &raws); err != nil {
			return err
		}
		if raws == nil {
			pv.Elem().SetZero()
			return nil
		}
		s := reflect.MakeSlice(t, len(raws), len(raws))
		for i, r := range raws {
			if err := decodeValue(r, s.Index(i).Addr().Interface()); err != nil {
				return atIndex(i, err)
			}
		}
		pv.Elem().Set(s)
		return nil
	case reflect.Pointer:
		if string(bytesTrim(data)) == "null" {
			pv.Elem().SetZero()
			return nil
		}
		nv := reflect.New(t.Elem())
		if err := decodeValue(data, nv.Interface()); err != nil {
			return err
		}
		pv.Elem().Set(nv)
		return nil
	case reflect.Struct:
		return decodeStruct(data, ptr)
	}
	return decodeJSON(data, ptr)
}

// decodeStruct decodes a JSON object into the struct ptr points to, one
// field at a time by its json tag. Unknown keys are ignored and key matching
// is case-insensitive, as with encoding/json (and the reference).
func decodeStruct(data []byte, ptr any) error {
	obj, err := decodeObject(data)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(ptr).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			if tag == "-" {
				continue
			}
			if n, _, _ := strings.Cut(tag, ","); n != "" {
				name = n
			}
		}
		raw := obj.get(name)
		if raw == nil {
			continue
		}
		if err := decodeValue(raw, rv.Field(i).Addr().Interface()); err != nil {
			return atField(name, err)
		}
	}
	return nil
}

func bytesTrim(b []byte) []byte {
	return []byte(strings.TrimSpace(string(b)))
}

// rawObject decodes a JSON object into its raw members, with encoding/json's
// case-insensitive key matching (as the reference decodes), returning an
// accessor. The last of duplicate keys wins, as in encoding/json.
type rawObject map[string]json.RawMessage

func decodeObject(data []byte) (rawObject, error) {
	var m map[string]json.RawMessage
	if err := decodeJSON(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		// JSON null: an empty object.
		return rawObject{}, nil
	}
	return rawObject(m), nil
}

// get returns the member named key (exact match preferred, else a
// case-insensitive one, like encoding/json).
func (o rawObject) get(key string) json.RawMessage {
	if v, ok := o[key]; ok {
		return v
	}
	// Deterministic among several case variants: the smallest key wins.
	var best string
	var found json.RawMessage
	for k, v := range o {
		if strings.EqualFold(k, key) && (found == nil || k < best) {
			best, found = k, v
		}
	}
	return found
}

func unquote(data []byte, kind error, what string) (string, error) {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return "", invalid(kind, "%s must be a JSON string", what)
	}
	return s, nil
}

// DecodeStruct decodes a JSON object into the struct ptr points to field by
// field, so errors carry the JSON path (*FieldError). For package schema.
func DecodeStruct(data []byte, ptr any) error { return decodeStruct(data, ptr) }

// AtField prefixes err's JSON path with the object key name.
func AtField(name string, err error) error { return atField(name, err) }

// AtIndex prefixes err's JSON path with the list index i.
func AtIndex(i int, err error) error { return atIndex(i, err) }

// AssertListValid checks each element, naming the index of the first bad one.
func AssertListValid[T interface{ AssertValid() error }](l []T) error {
	for i, v := range l {
		if err := v.AssertValid(); err != nil {
			return atIndex(i, err)
		}
	}
	return nil
}

// Marshal is json.Marshal without HTML escaping: manifests are not HTML,
// and "<a@b.c>" in an authors annotation should stay readable.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
