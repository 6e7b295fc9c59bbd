package httpwire

import (
	"net/http"
	"strconv"
)

// Write sends body with status. errorType, when set, is the error code for x-amzn-ErrorType.
func Write(w http.ResponseWriter, contentType string, status int, errorType string, body []byte, requestID string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	if errorType != "" {
		h.Set("x-amzn-ErrorType", errorType)
	}
	// net/http panics on a status outside 100–999; an unset status is a server fault, not a crash.
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
