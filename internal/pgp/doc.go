// Package pgp owns acikit's OpenPGP work: reading and writing armored
// keyrings, generating and unlocking keys, and detached ASCII-armored
// signatures over streams, all through github.com/ProtonMail/go-crypto.
//
// Signatures are made and checked the way gpg does (a binary-document
// signature over the bytes as served), so gpg verifies what we sign and we
// verify what gpg signs. The package never fetches keys, prompts or decides
// which keys are trusted: internal/trust picks the keyring, the CLI asks the
// user.
package pgp
