// Package scalar converts model scalars between their wire text and the decoded value tree. The
// three protocol codecs share it so an integer or a timestamp parses the same way everywhere.
package scalar
