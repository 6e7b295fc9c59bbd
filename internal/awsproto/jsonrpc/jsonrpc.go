package jsonrpc

import (
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/httpwire"
	"github.com/latchkey/latchkey/internal/awsproto/jsonvalue"
)

// ContentType is the media type of awsJson1.1 requests and responses (model jsonVersion 1.1).
const ContentType = "application/x-amz-json-1.1"

// Decode parses a request body into the value tree of shape. Malformed JSON or a value of the wrong
// type is a SerializationException; constraint checks are left to awsmodel.Validate so that AWS's
// "validation error detected" wording stays in one place.
func Decode(shape *awsmodel.Shape, body []byte) (map[string]any, error) {
	return jsonvalue.Decode(shape, body)
}

// Operation resolves an X-Amz-Target header ("AWSCognitoIdentityService.GetId") to an operation of
// svc. The prefix must match the model's targetPrefix: a request meant for another JSON service
// must not run a same-named operation here.
func Operation(svc *awsmodel.Service, target string) (*awsmodel.Operation, *awserr.Error) {
	prefix, name, ok := strings.Cut(target, ".")
	if ok && prefix == svc.TargetPrefix {
		if op := svc.Operations[name]; op != nil {
			return op, nil
		}
	}
	if target == "" {
		return nil, awserr.New("UnknownOperationException", http.StatusBadRequest, "Missing X-Amz-Target header.")
	}
	return nil, awserr.New("UnknownOperationException", http.StatusBadRequest, "Unknown operation %s.", target)
}

// WriteResponse writes a 200 response whose body is out rendered against shape. Operations without
// output still get "{}" because SDKs parse the body of every 200.
func WriteResponse(w http.ResponseWriter, shape *awsmodel.Shape, out map[string]any, requestID string) {
	httpwire.Write(w, ContentType, http.StatusOK, "", jsonvalue.Encode(shape, out), requestID)
}

// WriteError writes the awsJson error envelope. Extra fields, which Cognito errors do not model,
// are still sent so a caller's detail is not silently lost.
func WriteError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	if e == nil {
		e = &awserr.Error{Code: "InternalErrorException", Message: awserr.InternalMessage, HTTPStatus: http.StatusInternalServerError}
	}
	b := []byte(`{"__type":`)
	b = append(b, jsonvalue.String(e.Code)...)
	b = append(b, `,"message":`...)
	b = append(b, jsonvalue.String(e.Message)...)
	b = jsonvalue.AppendFields(b, e.Fields, "__type", "message")
	b = append(b, '}')
	httpwire.Write(w, ContentType, e.HTTPStatus, e.Code, b, requestID)
}
