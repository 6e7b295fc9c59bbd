package iam

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/http"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// TOTP parameters of AWS virtual MFA devices (RFC 6238: SHA-1, 30 s, 6 digits).
const (
	totpPeriod = 30
	// verifySkew accepts the neighbouring steps, for clocks a little apart.
	verifySkew = 1
	// enableWindow is how far from now EnableMFADevice looks for the two consecutive codes.
	enableWindow = 10
	resyncWindow = 60
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func mfaARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":mfa" + path + name
}

func mfaAAD(serial string) []byte { return []byte("mfa-seed:" + serial) }

// VirtualMFA is CreateVirtualMFADevice's answer; the seed is returned only then.
type VirtualMFA struct {
	MFADevice
	Base32Seed string
	QRCodePNG  []byte
}

// CreateVirtualMFADevice makes a device with a fresh TOTP seed.
func (s *Service) CreateVirtualMFADevice(ctx context.Context, caller *principal.Principal, name, path string, tags []Tag) (VirtualMFA, error) {
	if path == "" {
		path = "/"
	}
	serial := mfaARN(caller.AccountID, path, name)
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "iam:CreateVirtualMFADevice", Resource: serial, ResourceAccount: caller.AccountID, Context: tagContext(tags)}); err != nil {
		return VirtualMFA{}, err
	}
	if err := validatePath(path); err != nil {
		return VirtualMFA{}, err
	}
	merged, err := mergeTags(nil, storeTags(tags), false)
	if err != nil {
		return VirtualMFA{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Latchkey", AccountName: name + "@" + caller.AccountID, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return VirtualMFA{}, awserr.InternalError(err)
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return VirtualMFA{}, awserr.InternalError(err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return VirtualMFA{}, awserr.InternalError(err)
	}
	d := store.MFADevice{
		SerialNumber: serial, AccountID: caller.AccountID, Path: path, Name: name,
		SeedCiphertext: s.Master.Seal([]byte(key.Secret()), mfaAAD(serial)),
		Tags:           merged, CreatedAt: s.Now().UTC().Truncate(time.Second),
	}
	if err := s.Store.CreateMFADevice(ctx, d); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return VirtualMFA{}, awserr.New("EntityAlreadyExists", http.StatusConflict, "MFADevice entity at the same path and name already exists.")
		}
		return VirtualMFA{}, awserr.InternalError(err)
	}
	return VirtualMFA{MFADevice: deviceOf(d), Base32Seed: key.Secret(), QRCodePNG: qr.Bytes()}, nil
}

func noSuchDevice(serial string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "MFA Device with serial number %s does not exist.", serial)
}

func (s *Service) device(ctx context.Context, caller *principal.Principal, serial string) (store.MFADevice, string, error) {
	d, err := s.Store.GetMFADevice(ctx, serial)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.AccountID != caller.AccountID) {
		return d, "", noSuchDevice(serial)
	}
	if err != nil {
		return d, "", awserr.InternalError(err)
	}
	seed, err := s.Master.Open(d.SeedCiphertext, mfaAAD(serial))
	if err != nil {
		return d, "", awserr.InternalError(err)
	}
	return d, string(seed), nil
}

func codeAt(seed string, step int64) string {
	code, err := totp.GenerateCodeCustom(seed, time.Unix(step*totpPeriod, 0), totpOpts)
	if err != nil {
		return ""
	}
	return code
}

// consecutiveStep finds the step whose code is c1 and whose successor's code is c2.
func consecutiveStep(seed string, now time.Time, c1, c2 string, window int64) (int64, bool) {
	cur := now.Unix() / totpPeriod
	for d := int64(0); d <= window; d++ {
		for _, st := range []int64{cur - d, cur + d} {
			if codeAt(seed, st) == c1 && codeAt(seed, st+1) == c2 {
				return st + 1, true
			}
		}
	}
	return 0, false
}

func invalidCode() *awserr.Error {
	return awserr.New("InvalidAuthenticationCode", http.StatusForbidden, "Authentication code for device is not valid.")
}

// EnableMFADevice assigns a virtual device to a user after two consecutive codes prove possession.
func (s *Service) EnableMFADevice(ctx context.Context, caller *principal.Principal, userName, serial, code1, code2 string) error {
	uid, _, err := s.owner(ctx, caller, store.KindUser, userName, "iam:EnableMFADevice", nil)
	if err != nil {
		return err
	}
	d, seed, err := s.device(ctx, caller, serial)
	if err != nil {
		return err
	}
	if d.UserID != "" {
		return awserr.New("EntityAlreadyExists", http.StatusConflict, "MFA Device is already in use.")
	}
	step, ok := consecutiveStep(seed, s.Now(), code1, code2, enableWindow)
	if !ok {
		return invalidCode()
	}
	err = s.Store.EnableMFADevice(ctx, serial, uid, s.Now().UTC().Truncate(time.Second), step)
	if errors.Is(err, store.ErrConflict) {
		return awserr.New("EntityAlreadyExists", http.StatusConflict, "MFA Device is already in use.")
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

// ResyncMFADevice realigns a device whose clock drifted (a wider window than EnableMFADevice).
func (s *Service) ResyncMFADevice(ctx context.Context, caller *principal.Principal, userName, serial, code1, code2 string) error {
	uid, _, err := s.owner(ctx, caller, store.KindUser, userName, "iam:ResyncMFADevice", nil)
	if err != nil {
		return err
	}
	d, seed, err := s.device(ctx, caller, serial)
	if err != nil {
		return err
	}
	if d.UserID != uid {
		return awserr.New("NoSuchEntity", http.StatusNotFound, "MFA Device with serial number %s is not assigned to user %s.", serial, userName)
	}
	step, ok := consecutiveStep(seed, s.Now(), code1, code2, resyncWindow)
	if !ok {
		return invalidCode()
	}
	if err := s.Store.UseMFAStep(ctx, serial, step); err != nil && !errors.Is(err, store.ErrConflict) {
		return awserr.InternalError(err)
	}
	return nil
}

// DeactivateMFADevice unassigns a device from its user.
func (s *Service) DeactivateMFADevice(ctx context.Context, caller *principal.Principal, userName, serial string) error {
	name := userName
	if name == "" && caller.Kind == principal.User {
		name = caller.UserName
	}
	uid, _, err := s.owner(ctx, caller, store.KindUser, name, "iam:DeactivateMFADevice", nil)
	if err != nil {
		return err
	}
	d, _, err := s.device(ctx, caller, serial)
	if err != nil {
		return err
	}
	if d.UserID != uid {
		return awserr.New("NoSuchEntity", http.StatusNotFound, "MFA Device with serial number %s is not assigned to user %s.", serial, name)
	}
	if err := s.Store.DeactivateMFADevice(ctx, serial); err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

// DeleteVirtualMFADevice deletes an unassigned device.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, caller *principal.Principal, serial string) error {
	if err := s.authorize(ctx, caller, "iam:DeleteVirtualMFADevice", serial); err != nil {
		return err
	}
	if _, _, err := s.device(ctx, caller, serial); err != nil {
		return err
	}
	err := s.Store.DeleteMFADevice(ctx, serial)
	if errors.Is(err, store.ErrConflict) {
		return awserr.New("DeleteConflict", http.StatusConflict, "MFA VirtualDevice in use. Must deactivate first.")
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return awserr.InternalError(err)
	}
	return nil
}

// listMFADevicesRow lists the devices assigned to a user (the caller when no name is given).
func (s *Service) listMFADevicesRow(ctx context.Context, caller *principal.Principal, userName, marker string, maxItems int) (Page[store.MFADevice], string, error) {
	name := userName
	if name == "" {
		if caller.Kind != principal.User {
			if err := s.authorize(ctx, caller, "iam:ListMFADevices", caller.ARN); err != nil {
				return Page[store.MFADevice]{}, "", err
			}
			return Page[store.MFADevice]{}, "", nil
		}
		name = caller.UserName
	}
	uid, uname, err := s.owner(ctx, caller, store.KindUser, name, "iam:ListMFADevices", nil)
	if err != nil {
		return Page[store.MFADevice]{}, "", err
	}
	ds, err := s.Store.ListMFADevices(ctx, caller.AccountID, uid)
	if err != nil {
		return Page[store.MFADevice]{}, "", awserr.InternalError(err)
	}
	page, err := paginate(ds, marker, maxItems)
	return page, uname, err
}

// listVirtualMFADevicesRow lists the account's virtual devices by assignment status.
func (s *Service) listVirtualMFADevicesRow(ctx context.Context, caller *principal.Principal, status, marker string, maxItems int) (Page[store.MFADevice], error) {
	if err := s.authorize(ctx, caller, "iam:ListVirtualMFADevices", "*"); err != nil {
		return Page[store.MFADevice]{}, err
	}
	ds, err := s.Store.ListMFADevices(ctx, caller.AccountID, "")
	if err != nil {
		return Page[store.MFADevice]{}, awserr.InternalError(err)
	}
	kept := ds[:0]
	for _, d := range ds {
		switch {
		case status == "Assigned" && d.UserID == "":
		case status == "Unassigned" && d.UserID != "":
		default:
			kept = append(kept, d)
		}
	}
	return paginate(kept, marker, maxItems)
}

// getMFADeviceRow returns one device.
func (s *Service) getMFADeviceRow(ctx context.Context, caller *principal.Principal, serial string) (store.MFADevice, error) {
	if err := s.authorize(ctx, caller, "iam:GetMFADevice", serial); err != nil {
		return store.MFADevice{}, err
	}
	d, _, err := s.device(ctx, caller, serial)
	return d, err
}

func deviceTags(d *store.MFADevice) *[]store.Tag { return &d.Tags }

// TagMFADevice, UntagMFADevice and ListMFADeviceTags manage device tags (case-sensitive keys).
func (s *Service) TagMFADevice(ctx context.Context, caller *principal.Principal, serial string, tags []Tag) error {
	return s.changeDevice(ctx, caller, "iam:TagMFADevice", serial, tagger(tags, false, deviceTags))
}

func (s *Service) UntagMFADevice(ctx context.Context, caller *principal.Principal, serial string, keys []string) error {
	return s.changeDevice(ctx, caller, "iam:UntagMFADevice", serial, untagger(keys, false, deviceTags))
}

// changeDevice authorizes action on a device of the caller's account and runs change on it in
// one store transaction.
func (s *Service) changeDevice(ctx context.Context, caller *principal.Principal, action, serial string, change func(*store.MFADevice) error) error {
	if err := s.authorize(ctx, caller, action, serial); err != nil {
		return err
	}
	_, err := s.Store.UpdateMFADevice(ctx, serial, func(d *store.MFADevice) error {
		if d.AccountID != caller.AccountID {
			return noSuchDevice(serial) // another account's device is answered as a missing one
		}
		return change(d)
	})
	if err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchDevice(serial) })
	}
	return nil
}

func (s *Service) ListMFADeviceTags(ctx context.Context, caller *principal.Principal, serial, marker string, maxItems int) (Page[Tag], error) {
	if err := s.authorize(ctx, caller, "iam:ListMFADeviceTags", serial); err != nil {
		return Page[Tag]{}, err
	}
	d, _, err := s.device(ctx, caller, serial)
	if err != nil {
		return Page[Tag]{}, err
	}
	return listTags(d.Tags, marker, maxItems)
}

// VerifyMFA checks a TOTP code for STS: the device must be assigned to the calling user, the code
// must be current (±1 step) and not replayed.
func (s *Service) VerifyMFA(ctx context.Context, caller *principal.Principal, serial, code string) error {
	fail := awserr.New("AccessDenied", http.StatusForbidden, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	d, err := s.Store.GetMFADevice(ctx, serial)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fail
		}
		return awserr.InternalError(err)
	}
	owner := caller.UserID
	if caller.BaseUserID != "" {
		owner = caller.BaseUserID
	}
	if caller.Kind == principal.AssumedRole || d.AccountID != caller.AccountID || d.UserID == "" || d.UserID != owner {
		return fail
	}
	seed, err := s.Master.Open(d.SeedCiphertext, mfaAAD(serial))
	if err != nil {
		return awserr.InternalError(err)
	}
	cur := s.Now().Unix() / totpPeriod
	for st := cur - verifySkew; st <= cur+verifySkew; st++ {
		if codeAt(string(seed), st) != code {
			continue
		}
		if err := s.Store.UseMFAStep(ctx, serial, st); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fail // replayed code
			}
			return awserr.InternalError(err)
		}
		return nil
	}
	return fail
}
