package awsmodel

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Bind copies a decoded value tree into a typed Go struct. Struct fields are matched by the model
// member name: the field name, or the `aws:"Name"` tag when Go naming differs (e.g. lowercase `arn`).
// Pointer fields stay nil when the member is absent, so services can tell "absent" from "zero".
func Bind(tree map[string]any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("awsmodel.Bind: destination must be a pointer to a struct, got %T", dst)
	}
	return bindStruct(tree, rv.Elem())
}

// Unbind turns a typed output struct into a value tree for the codecs. Nil pointers, nil slices,
// empty strings and zero times are left out, as AWS leaves out absent members. A non-nil *string
// is present even when empty: empty is a real value for members such as tag values (min 0).
func Unbind(src any) map[string]any {
	if src == nil {
		return nil
	}
	rv := reflect.ValueOf(src)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	out, _ := unbindValue(rv).(map[string]any)
	return out
}

type fieldInfo struct {
	name  string
	index int
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func fieldsOf(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	var fields []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Name
		if tag := sf.Tag.Get("aws"); tag != "" {
			if tag == "-" {
				continue
			}
			if n, _, _ := strings.Cut(tag, ","); n != "" {
				name = n
			}
		}
		fields = append(fields, fieldInfo{name: name, index: i})
	}
	fieldCache.Store(t, fields)
	return fields
}

var timeType = reflect.TypeOf(time.Time{})

func bindStruct(tree map[string]any, sv reflect.Value) error {
	for _, f := range fieldsOf(sv.Type()) {
		v, ok := tree[f.name]
		if !ok || v == nil {
			continue
		}
		if err := bindValue(v, sv.Field(f.index)); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

func bindValue(v any, dst reflect.Value) error {
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := bindValue(v, p.Elem()); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	if dst.Type() == timeType {
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("want timestamp, got %T", v)
		}
		dst.Set(reflect.ValueOf(t))
		return nil
	}
	switch dst.Kind() {
	case reflect.Slice:
		return bindList(v, dst)
	case reflect.Map:
		return bindMap(v, dst)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("want structure, got %T", v)
		}
		return bindStruct(m, dst)
	}
	return bindScalar(v, dst)
}

func bindScalar(v any, dst reflect.Value) error {
	switch dst.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want string, got %T", v)
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want boolean, got %T", v)
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("want integer, got %T", v)
		}
		if dst.OverflowInt(n) {
			return fmt.Errorf("integer %d does not fit in %s", n, dst.Type())
		}
		dst.SetInt(n)
	case reflect.Float64, reflect.Float32:
		var f float64
		switch n := v.(type) {
		case float64:
			f = n
		case int64:
			f = float64(n)
		default:
			return fmt.Errorf("want number, got %T", v)
		}
		if dst.OverflowFloat(f) {
			return fmt.Errorf("number %v does not fit in %s", f, dst.Type())
		}
		dst.SetFloat(f)
	default:
		return fmt.Errorf("unsupported field kind %s", dst.Kind())
	}
	return nil
}

// bindList binds a list, or a blob into a []byte.
func bindList(v any, dst reflect.Value) error {
	if dst.Type().Elem().Kind() == reflect.Uint8 {
		b, ok := v.([]byte)
		if !ok {
			return fmt.Errorf("want blob, got %T", v)
		}
		dst.SetBytes(b)
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		return fmt.Errorf("want list, got %T", v)
	}
	out := reflect.MakeSlice(dst.Type(), len(items), len(items))
	for i, item := range items {
		if item == nil {
			continue
		}
		if err := bindValue(item, out.Index(i)); err != nil {
			return fmt.Errorf("[%d]: %w", i+1, err)
		}
	}
	dst.Set(out)
	return nil
}

func bindMap(v any, dst reflect.Value) error {
	entries, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("want map, got %T", v)
	}
	keyType := dst.Type().Key()
	if keyType.Kind() != reflect.String {
		return fmt.Errorf("map key type %s is not a string", keyType)
	}
	out := reflect.MakeMapWithSize(dst.Type(), len(entries))
	for k, ev := range entries {
		ev2 := reflect.New(dst.Type().Elem()).Elem()
		if ev != nil {
			if err := bindValue(ev, ev2); err != nil {
				return fmt.Errorf("[%s]: %w", k, err)
			}
		}
		out.SetMapIndex(reflect.ValueOf(k).Convert(keyType), ev2)
	}
	dst.Set(out)
	return nil
}

// unbindElem unbinds a list element or map value: unlike an optional member, an empty string
// there is a value (a tag whose value is ""), not an absence.
func unbindElem(rv reflect.Value) any {
	if rv.Kind() == reflect.String {
		return rv.String()
	}
	return unbindValue(rv)
}

func unbindValue(rv reflect.Value) any {
	if rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		if e := rv.Elem(); rv.Kind() == reflect.Pointer && e.Kind() == reflect.String {
			return e.String()
		}
		return unbindValue(rv.Elem())
	}
	if rv.Type() == timeType {
		t := rv.Interface().(time.Time)
		if t.IsZero() {
			return nil
		}
		return t
	}
	switch rv.Kind() {
	case reflect.String:
		if rv.Len() == 0 {
			return nil
		}
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Slice:
		if rv.IsNil() {
			return nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes()
		}
		out := make([]any, 0, rv.Len())
		for i := 0; i < rv.Len(); i++ {
			out = append(out, unbindElem(rv.Index(i)))
		}
		return out
	case reflect.Map:
		if rv.IsNil() {
			return nil
		}
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = unbindElem(iter.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		for _, f := range fieldsOf(rv.Type()) {
			if v := unbindValue(rv.Field(f.index)); v != nil {
				out[f.name] = v
			}
		}
		return out
	}
	return nil
}
