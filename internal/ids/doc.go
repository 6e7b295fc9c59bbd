// Package ids mints identifiers in AWS's formats: access key ids that embed their account (so
// GetAccessKeyInfo answers without a store read, as AWS's own newer key ids do), 40-character
// secrets, and prefixed unique ids such as AIDA… for users. It also tells a region name by its
// form and reads the region of a regional id ("<region>:<GUID>").
package ids
