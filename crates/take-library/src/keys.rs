//! Ed25519 user keys for signing ledger events.
//!
//! A key file is text: the line `mocap-ed25519-secret-v1` followed by the 32-byte secret seed in
//! hex. Keep it private (the CLI creates it with mode 0600 on Unix). The public key is derived from
//! it and recorded in every event it signs.

use crate::error::{LibraryError, Result};
use crate::util::{from_hex, to_hex};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use std::path::Path;

const KEY_HEADER: &str = "mocap-ed25519-secret-v1";

/// A user's signing key.
pub struct UserKey {
    key: SigningKey,
}

impl std::fmt::Debug for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("UserKey")
            .field("public_key", &self.public_key_hex())
            .finish()
    }
}

impl UserKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| LibraryError::invalid("key", format!("no system randomness: {e}")))?;
        Ok(Self::from_seed(seed))
    }

    /// The key with this 32-byte secret seed (for tests and key files).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Reads a key file written by [`UserKey::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| LibraryError::io("read", path, e))?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let bad = |detail: &str| LibraryError::Key {
            path: path.to_path_buf(),
            detail: format!("{detail}; create a key with `mocap takes keygen -o FILE`"),
        };
        if lines.next() != Some(KEY_HEADER) {
            return Err(bad(
                "not a mocap ed25519 key file (first line must be `mocap-ed25519-secret-v1`)",
            ));
        }
        let seed = lines
            .next()
            .and_then(from_hex)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| bad("the second line must be 64 hex digits"))?;
        Ok(Self::from_seed(seed))
    }

    /// Writes the key file (refuses to overwrite an existing file).
    pub fn save(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| LibraryError::io("create", path, e))?;
        writeln!(file, "{KEY_HEADER}\n{}", to_hex(&self.key.to_bytes()))
            .and_then(|()| file.sync_all())
            .map_err(|e| LibraryError::io("write", path, e))
    }

    /// Public key, hex (64 digits).
    pub fn public_key_hex(&self) -> String {
        to_hex(self.key.verifying_key().as_bytes())
    }

    /// Signs `message`; returns the signature in hex (128 digits).
    pub fn sign_hex(&self, message: &[u8]) -> String {
        to_hex(&self.key.sign(message).to_bytes())
    }
}

/// Checks a hex signature of `message` by the hex public key. `Err` says why it does not verify.
pub fn verify_signature(
    public_key_hex: &str,
    message: &[u8],
    signature_hex: &str,
) -> Result<(), String> {
    let pk = from_hex(public_key_hex)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or("public key is not 64 hex digits")?;
    let pk =
        VerifyingKey::from_bytes(&pk).map_err(|_| "public key is not a valid ed25519 point")?;
    let sig = from_hex(signature_hex)
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or("signature is not 128 hex digits")?;
    pk.verify(message, &Signature::from_bytes(&sig))
        .map_err(|_| "signature does not match".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_key_file_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = UserKey::generate().expect("key");
        let path = dir.path().join("me.key");
        key.save(&path).expect("save");
        assert!(key.save(&path).is_err(), "must not overwrite a key file");
        let loaded = UserKey::load(&path).expect("load");
        assert_eq!(loaded.public_key_hex(), key.public_key_hex());
        let sig = loaded.sign_hex(b"hello");
        assert!(verify_signature(&key.public_key_hex(), b"hello", &sig).is_ok());
        assert!(verify_signature(&key.public_key_hex(), b"hellO", &sig).is_err());
        let other = UserKey::from_seed([7; 32]);
        assert!(verify_signature(&other.public_key_hex(), b"hello", &sig).is_err());
        std::fs::write(dir.path().join("bad.key"), "hello\n").expect("write");
        assert!(matches!(
            UserKey::load(&dir.path().join("bad.key")),
            Err(LibraryError::Key { .. })
        ));
    }
}
