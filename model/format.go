package model

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// FormatID names a registered Format; records carry it so that every consumer can tell
// which columns a record had, in which order, without storing the format per record.
type FormatID uint16

// Format is the ordered list of columns of a flow log, as `--format`, DescribeFlowLogs
// (`${a} ${b}`) or an S3 header line (`a b`) gives it.
type Format struct {
	ID      FormatID
	Fields  []Field  // one per column; CustomBase+n for the n-th unknown column
	Names   []string // the column names as written, lower case
	Version int      // the highest version among the known fields
	// column[f] is the column of known field f, or -1.
	column [NumKnown]int8
	// needsExt is set when a column lives in Flow.Ext, so the parser allocates it once.
	needsExt bool
	// needsTexts is set when a column is kept as text (Ext.Texts): an unknown column or
	// an ECS task or container ID.
	needsTexts bool
	// cols tells the parser what to do with each column.
	cols []column
}

// column is the parser's plan for one column: which conversion, and where it goes.
type column struct {
	op    colOp
	field Field
	idx   uint8 // index in Ext.Str, Ext.Texts.Text or Ext.Texts.Custom
}

type colOp uint8

const (
	opSmall colOp = iota // a number of at most 8 bits
	opPort
	opCount // packets, bytes
	opTime
	opAddr
	opAccount
	opInterface
	opAction
	opLogStatus
	opDirection
	opExtStr
	opExtText
	opCustom
)

func columnFor(fld Field, custom int) column {
	if !fld.Known() {
		return column{op: opCustom, field: fld, idx: uint8(custom)}
	}
	switch fld {
	case FAccountID:
		return column{op: opAccount, field: fld}
	case FInterfaceID:
		return column{op: opInterface, field: fld}
	case FPackets, FBytes:
		return column{op: opCount, field: fld}
	}
	switch fieldInfo[fld].Kind {
	case KindPort:
		return column{op: opPort, field: fld}
	case KindTime:
		return column{op: opTime, field: fld}
	case KindAddr:
		return column{op: opAddr, field: fld}
	case KindAction:
		return column{op: opAction, field: fld}
	case KindLogStatus:
		return column{op: opLogStatus, field: fld}
	case KindDirection:
		return column{op: opDirection, field: fld}
	case KindString:
		if extText[fld] >= 0 {
			return column{op: opExtText, field: fld, idx: uint8(extText[fld])}
		}
		return column{op: opExtStr, field: fld, idx: uint8(extStr[fld])}
	}
	return column{op: opSmall, field: fld}
}

// DefaultFormatSpec is the version 2 format, the one a flow log has unless it was created
// with a custom one.
const DefaultFormatSpec = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// MaxColumns bounds a format; AWS has 54 fields, and a bound keeps the parser's token
// array fixed.
const MaxColumns = 120

// ParseFormat reads a format in any of the spellings AWS uses: `${a} ${b}`, `a b` (S3
// header lines), with `_` accepted for `-` (Parquet and Athena column names).
func ParseFormat(spec string) (*Format, error) {
	words := strings.Fields(spec)
	if len(words) == 0 {
		return nil, fmt.Errorf("empty format")
	}
	if len(words) > MaxColumns {
		return nil, fmt.Errorf("format has %d columns, at most %d are supported", len(words), MaxColumns)
	}
	f := &Format{}
	for i := range f.column {
		f.column[i] = -1
	}
	custom := 0
	for i, w := range words {
		name := w
		if strings.HasPrefix(name, "${") {
			if !strings.HasSuffix(name, "}") || len(name) < 4 {
				return nil, fmt.Errorf("format column %d: %q is not of the form ${name}", i+1, w)
			}
			name = name[2 : len(name)-1]
		}
		if !validColumnName(name) {
			return nil, fmt.Errorf("format column %d: %q is not a field name", i+1, w)
		}
		name = strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		fld, known := FieldByName(name)
		if known {
			if f.column[fld] >= 0 {
				return nil, fmt.Errorf("format column %d: %s appears twice", i+1, name)
			}
			f.column[fld] = int8(i)
			if v := fieldInfo[fld].Version; v > f.Version {
				f.Version = v
			}
			if inline[fld] < 0 {
				f.needsExt = true
			}
			if extText[fld] >= 0 {
				f.needsTexts = true
			}
		} else {
			for _, n := range f.Names {
				if n == name {
					return nil, fmt.Errorf("format column %d: %s appears twice", i+1, name)
				}
			}
			fld = CustomBase + Field(custom)
			custom++
			f.needsExt, f.needsTexts = true, true
		}
		f.cols = append(f.cols, columnFor(fld, custom-1))
		f.Fields = append(f.Fields, fld)
		f.Names = append(f.Names, name)
	}
	return register(f)
}

// validColumnName accepts what AWS field names look like, so that a data line is never
// mistaken for a format.
func validColumnName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// MustParseFormat is ParseFormat for formats written in the code.
func MustParseFormat(spec string) *Format {
	f, err := ParseFormat(spec)
	if err != nil {
		panic(err)
	}
	return f
}

// Column returns the column index of f in the format, or -1.
func (f *Format) Column(fld Field) int {
	if fld.Known() {
		return int(f.column[fld])
	}
	if i := int(fld - CustomBase); i >= 0 {
		n := 0
		for c, x := range f.Fields {
			if !x.Known() {
				if n == i {
					return c
				}
				n++
			}
		}
	}
	return -1
}

// Has reports whether the format has a column for a known field.
func (f *Format) Has(fld Field) bool { return fld.Known() && f.column[fld] >= 0 }

// Custom returns the Field of an unknown column by name.
func (f *Format) Custom(name string) (Field, bool) {
	for i, n := range f.Names {
		if n == name && !f.Fields[i].Known() {
			return f.Fields[i], true
		}
	}
	return 0, false
}

// NameOf returns the column name of a field of this format.
func (f *Format) NameOf(fld Field) string {
	if fld.Known() {
		return fieldInfo[fld].Name
	}
	if c := f.Column(fld); c >= 0 {
		return f.Names[c]
	}
	return ""
}

// Spec writes the format the way `--format` and DescribeFlowLogs do.
func (f *Format) Spec() string {
	var b strings.Builder
	for i, n := range f.Names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${")
		b.WriteString(n)
		b.WriteByte('}')
	}
	return b.String()
}

// Header writes the format as an S3 header line.
func (f *Format) Header() string { return strings.Join(f.Names, " ") }

// The registry gives each distinct format a small ID for records to carry. Formats are
// few (one per flow log); readers look them up on every rendered row, so lookups are a
// lock-free load of an immutable slice and only registration locks.
var (
	registryMu sync.Mutex
	registry   atomic.Pointer[[]*Format]
	bySpec     = map[string]*Format{}
)

// maxFormats bounds the registry: real streams carry a handful of formats, and a stream
// of ever-different header lines must not grow memory without end.
const maxFormats = 4096

// DefaultFormat is the version 2 format; it always has ID 0.
var DefaultFormat = MustParseFormat(DefaultFormatSpec)

func register(f *Format) (*Format, error) {
	spec := f.Spec()
	registryMu.Lock()
	defer registryMu.Unlock()
	if g, ok := bySpec[spec]; ok {
		return g, nil
	}
	var list []*Format
	if p := registry.Load(); p != nil {
		list = *p
	}
	if len(list) >= maxFormats {
		return nil, fmt.Errorf("too many distinct formats (%d)", len(list))
	}
	f.ID = FormatID(len(list))
	next := make([]*Format, len(list), len(list)+1)
	copy(next, list)
	next = append(next, f)
	registry.Store(&next)
	bySpec[spec] = f
	return f, nil
}

// FormatByID returns a registered format; the default format for an unknown ID.
func FormatByID(id FormatID) *Format {
	list := *registry.Load()
	if int(id) < len(list) {
		return list[id]
	}
	return list[0]
}

// FormatOf returns the format a record was parsed with.
func (r *Flow) FormatOf() *Format { return FormatByID(r.Format) }
