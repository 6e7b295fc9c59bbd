package policy

// SizeWithoutWhitespace counts the characters IAM's size quotas count: every character inside
// JSON string literals (quotes included) and every non-whitespace character outside them. IAM does
// not count whitespace toward PolicySize or ACLSizePerRole (doc "IAM and AWS STS quotas"). Invalid
// JSON is measured on a best-effort basis, treating an unterminated string as running to the end.
func SizeWithoutWhitespace(document string) int {
	n := 0
	inString, escaped := false, false
	for _, r := range document {
		if inString {
			n++
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inString = false
			}
			continue
		}
		switch r {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		}
		n++
	}
	return n
}
