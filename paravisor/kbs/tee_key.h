// The paravisor's ephemeral tee-pubkey for the KBS protocol: an EC P-256 key pair generated
// with the paravisor's CTR_DRBG for one attestation, whose public half goes into the runtime
// data (and so, hashed, into REPORT_DATA) and whose private half unwraps the JWEs the KBS sends
// back. The private scalar never leaves this object and is wiped by Wipe() (mbedtls_mpi_free
// zeroes it). Every mbedTLS call runs inside an FpuGuard.
#ifndef PV_KBS_CLIENT_TEE_KEY_H_
#define PV_KBS_CLIENT_TEE_KEY_H_

#include "lib/status.h"
#include "lib/types.h"

namespace pv::kbs_client {

inline constexpr usize kP256CoordinateSize = 32;

class TeeKey {
 public:
  // No constructor or destructor: the firmware runs no static constructors, and a zeroed object
  // is what mbedTLS's *_init functions produce, so a zero-initialised global is ready to use.
  // Owners call Wipe() when done.
  constexpr TeeKey() = default;
  TeeKey(const TeeKey&) = delete;
  TeeKey& operator=(const TeeKey&) = delete;

  // A fresh key pair from the DRBG (host tests may pass their own generator).
  Status Generate(int (*rng)(void*, unsigned char*, size_t), void* rng_context);
  bool ready() const { return ready_; }
  // The public point's affine coordinates, big-endian.
  Status PublicCoordinates(u8 x[kP256CoordinateSize], u8 y[kP256CoordinateSize]) const;
  // ECDH with a peer's public point (checked to lie on the curve): the shared x-coordinate.
  Status SharedSecret(const u8 peer_x[kP256CoordinateSize], const u8 peer_y[kP256CoordinateSize],
                      u8 z[kP256CoordinateSize], int (*rng)(void*, unsigned char*, size_t),
                      void* rng_context) const;
  void Wipe();

  struct State;  // defined in tee_key.cpp (mbedTLS types stay out of this header)

 private:
  alignas(16) u8 storage_[512] = {};  // mbedTLS group, scalar and point (see tee_key.cpp)
  bool ready_ = false;
  State* state();
  const State* state() const;
};

}  // namespace pv::kbs_client

#endif  // PV_KBS_CLIENT_TEE_KEY_H_
