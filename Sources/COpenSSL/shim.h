#ifndef PARCELGATE_COPENSSL_SHIM_H
#define PARCELGATE_COPENSSL_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/bn.h>
#include <openssl/param_build.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

/// `EVP_PKEY_PUBLIC_KEY` is a macro expression Swift cannot import; this hands its value over.
static inline int parcelgate_evp_pkey_public_key_selection(void) { return EVP_PKEY_PUBLIC_KEY; }

/// The RSA parameter names as static C strings: `OSSL_PARAM_BLD` keeps the name pointer until the parameters
/// are built, so a temporary string bridged from Swift would dangle.
static inline const char *parcelgate_rsa_param_n(void) { return OSSL_PKEY_PARAM_RSA_N; }
static inline const char *parcelgate_rsa_param_e(void) { return OSSL_PKEY_PARAM_RSA_E; }
#endif
