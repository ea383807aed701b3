/*
 * The libsrtp 3 API that mediasoup 3.27 calls, mapped onto Debian's libsrtp 2.
 *
 * - v3's opaque policy builder (srtp_policy_create, the setters, srtp_policy_add_key,
 *   srtp_policy_destroy) fills a v2 policy struct; v2's own struct type is renamed on
 *   include so that the name is free.
 * - v3's protect/unprotect take separate in/out buffers and size_t lengths; v2 works in
 *   place with int lengths, so the input is moved into the output buffer first.
 * - srtp_stream_remove is v2's srtp_remove_stream.
 */
#ifndef EARSHOT_SRTP3_COMPAT_H
#define EARSHOT_SRTP3_COMPAT_H

#define srtp_policy_t earshot_srtp2_policy_t
#include <srtp2/srtp.h>
#undef srtp_policy_t

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes v3 added; v2 never returns them. */
#define srtp_err_status_buffer_small ((srtp_err_status_t)28)
#define srtp_err_status_cryptex_err ((srtp_err_status_t)29)

/* Largest master key + salt of any profile (AES-256-GCM: 32 + 12). */
#define EARSHOT_SRTP_MAX_KEY_AND_SALT 64

struct earshot_srtp_policy
{
	earshot_srtp2_policy_t v2;
	unsigned char key[EARSHOT_SRTP_MAX_KEY_AND_SALT];
};

typedef struct earshot_srtp_policy* srtp_policy_t;

static inline srtp_err_status_t srtp_policy_create(srtp_policy_t* policy)
{
	*policy = (srtp_policy_t)calloc(1, sizeof(struct earshot_srtp_policy));
	return *policy ? srtp_err_status_ok : srtp_err_status_alloc_fail;
}

static inline void srtp_policy_destroy(srtp_policy_t policy)
{
	if (policy)
	{
		memset(policy->key, 0, sizeof(policy->key));
		free(policy);
	}
}

static inline srtp_err_status_t srtp_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc)
{
	policy->v2.ssrc = ssrc;
	return srtp_err_status_ok;
}

static inline srtp_err_status_t srtp_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile)
{
	srtp_err_status_t err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->v2.rtp, profile);
	if (err != srtp_err_status_ok)
		return err;
	return srtp_crypto_policy_set_from_profile_for_rtcp(&policy->v2.rtcp, profile);
}

static inline srtp_err_status_t srtp_policy_add_key(
  srtp_policy_t policy,
  const uint8_t* key,
  size_t keyLen,
  const uint8_t* salt,
  size_t saltLen,
  const uint8_t* mki,
  size_t mkiLen)
{
	if (mki != NULL || mkiLen != 0 || keyLen + saltLen > sizeof(policy->key))
		return srtp_err_status_bad_param;
	/* v2 reads one buffer: the master key immediately followed by the salt. */
	memcpy(policy->key, key, keyLen);
	memcpy(policy->key + keyLen, salt, saltLen);
	policy->v2.key = policy->key;
	return srtp_err_status_ok;
}

static inline srtp_err_status_t srtp_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow)
{
	policy->v2.allow_repeat_tx = allow ? 1 : 0;
	return srtp_err_status_ok;
}

static inline srtp_err_status_t srtp_policy_set_window_size(srtp_policy_t policy, size_t size)
{
	policy->v2.window_size = (unsigned long)size;
	return srtp_err_status_ok;
}

static inline srtp_err_status_t earshot_srtp3_create(srtp_t* session, srtp_policy_t policy)
{
	return srtp_create(session, &policy->v2);
}

static inline srtp_err_status_t earshot_srtp3_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}

typedef srtp_err_status_t (*earshot_srtp2_inplace_fn)(srtp_t, void*, int*);

/* Runs a v2 in-place transform over v3's (in, out) buffers. `reserve` is room the
   transform may add (the SRTP trailer when protecting, none when unprotecting). */
static inline srtp_err_status_t earshot_srtp3_transform(
  earshot_srtp2_inplace_fn fn,
  srtp_t ctx,
  const uint8_t* in,
  size_t inLen,
  uint8_t* out,
  size_t* outLen,
  size_t reserve)
{
	int len;
	srtp_err_status_t err;

	if (inLen > (size_t)INT_MAX - reserve || *outLen < inLen + reserve)
		return srtp_err_status_buffer_small;
	if (out != in)
		memmove(out, in, inLen);
	len = (int)inLen;
	err = fn(ctx, out, &len);
	if (err == srtp_err_status_ok)
		*outLen = (size_t)len;
	return err;
}

static inline srtp_err_status_t earshot_srtp3_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtpLen, uint8_t* srtp, size_t* srtpLen, size_t mkiIndex)
{
	(void)mkiIndex;
	return earshot_srtp3_transform(srtp_protect, ctx, rtp, rtpLen, srtp, srtpLen, SRTP_MAX_TRAILER_LEN);
}

static inline srtp_err_status_t earshot_srtp3_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcpLen, uint8_t* srtcp, size_t* srtcpLen, size_t mkiIndex)
{
	(void)mkiIndex;
	/* SRTCP adds the 4-byte index (E flag + SRTCP index) besides the trailer. */
	return earshot_srtp3_transform(
	  srtp_protect_rtcp, ctx, rtcp, rtcpLen, srtcp, srtcpLen, SRTP_MAX_TRAILER_LEN + 4);
}

static inline srtp_err_status_t earshot_srtp3_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtpLen, uint8_t* rtp, size_t* rtpLen)
{
	return earshot_srtp3_transform(srtp_unprotect, ctx, srtp, srtpLen, rtp, rtpLen, 0);
}

static inline srtp_err_status_t earshot_srtp3_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcpLen, uint8_t* rtcp, size_t* rtcpLen)
{
	return earshot_srtp3_transform(srtp_unprotect_rtcp, ctx, srtcp, srtcpLen, rtcp, rtcpLen, 0);
}

#define srtp_create earshot_srtp3_create
#define srtp_stream_remove earshot_srtp3_stream_remove
#define srtp_protect earshot_srtp3_protect
#define srtp_protect_rtcp earshot_srtp3_protect_rtcp
#define srtp_unprotect earshot_srtp3_unprotect
#define srtp_unprotect_rtcp earshot_srtp3_unprotect_rtcp

#ifdef __cplusplus
}
#endif

#endif
