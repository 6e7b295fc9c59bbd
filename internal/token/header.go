package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// UnverifiedHeader reads the kid and alg of a compact JWS's protected header without verifying
// anything, for the explanation of a refusal: nothing read here is trusted. malformed says what
// is wrong when the header cannot be read ("" when it reads).
func UnverifiedHeader(tok string) (kid, alg, malformed string) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", "", fmt.Sprintf("%d dot-separated parts, not 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", "", "the header is not base64url"
	}
	var h struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return "", "", "the header is not a JSON object"
	}
	return h.Kid, h.Alg, ""
}
