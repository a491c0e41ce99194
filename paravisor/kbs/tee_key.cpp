#include "kbs/tee_key.h"

#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>

#include "crypto/fpu_guard.h"
#include "lib/string.h"

namespace pv::kbs_client {

struct TeeKey::State {
  mbedtls_ecp_group group;
  mbedtls_mpi d;
  mbedtls_ecp_point q;
};
static_assert(sizeof(TeeKey::State) <= 512, "TeeKey storage too small for the mbedTLS state");

TeeKey::State* TeeKey::state() {
  return reinterpret_cast<State*>(storage_);
}
const TeeKey::State* TeeKey::state() const {
  return reinterpret_cast<const State*>(storage_);
}

void TeeKey::Wipe() {
  crypto::FpuGuard fpu;
  // mbedtls_mpi_free zeroes the limbs before releasing them (the arena zeroes on free too).
  mbedtls_mpi_free(&state()->d);
  mbedtls_ecp_point_free(&state()->q);
  mbedtls_ecp_group_free(&state()->group);
  mbedtls_ecp_group_init(&state()->group);
  mbedtls_mpi_init(&state()->d);
  mbedtls_ecp_point_init(&state()->q);
  ready_ = false;
}

Status TeeKey::Generate(int (*rng)(void*, unsigned char*, size_t), void* rng_context) {
  Wipe();
  crypto::FpuGuard fpu;
  State* s = state();
  if (mbedtls_ecp_group_load(&s->group, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
      mbedtls_ecp_gen_keypair(&s->group, &s->d, &s->q, rng, rng_context) != 0) {
    return Status(Err::kHardware, "kbs: P-256 key generation failed");
  }
  ready_ = true;
  return Status::Ok();
}

Status TeeKey::PublicCoordinates(u8 x[kP256CoordinateSize], u8 y[kP256CoordinateSize]) const {
  if (!ready_) return Status(Err::kInvalidArgument, "kbs: no tee key");
  crypto::FpuGuard fpu;
  if (mbedtls_mpi_write_binary(&state()->q.X, x, kP256CoordinateSize) != 0 ||
      mbedtls_mpi_write_binary(&state()->q.Y, y, kP256CoordinateSize) != 0) {
    return Status(Err::kHardware, "kbs: public key export failed");
  }
  return Status::Ok();
}

Status TeeKey::SharedSecret(const u8 peer_x[kP256CoordinateSize],
                            const u8 peer_y[kP256CoordinateSize], u8 z[kP256CoordinateSize],
                            int (*rng)(void*, unsigned char*, size_t), void* rng_context) const {
  if (!ready_) return Status(Err::kInvalidArgument, "kbs: no tee key");
  crypto::FpuGuard fpu;
  u8 point[1 + 2 * kP256CoordinateSize];
  point[0] = 0x04;  // uncompressed
  memcpy(point + 1, peer_x, kP256CoordinateSize);
  memcpy(point + 1 + kP256CoordinateSize, peer_y, kP256CoordinateSize);
  mbedtls_ecp_point peer;
  mbedtls_ecp_point_init(&peer);
  mbedtls_mpi shared;
  mbedtls_mpi_init(&shared);
  Status result = Status::Ok();
  // The point must lie on the curve (an invalid-curve point would leak bits of d).
  if (mbedtls_ecp_point_read_binary(&state()->group, &peer, point, sizeof(point)) != 0 ||
      mbedtls_ecp_check_pubkey(&state()->group, &peer) != 0) {
    result = Status(Err::kInvalidArgument, "jwe: epk is not a P-256 point");
  } else if (mbedtls_ecdh_compute_shared(const_cast<mbedtls_ecp_group*>(&state()->group), &shared,
                                         &peer, &state()->d, rng, rng_context) != 0 ||
             mbedtls_mpi_write_binary(&shared, z, kP256CoordinateSize) != 0) {
    result = Status(Err::kHardware, "jwe: ECDH failed");
  }
  mbedtls_mpi_free(&shared);
  mbedtls_ecp_point_free(&peer);
  return result;
}

}  // namespace pv::kbs_client
