// udpmux: the leg ports of one media thread, read in batches.
//
// Node's dgram hands each datagram to JavaScript on its own: a receive, a buffer and an
// address object made, a callback entered, about 6 µs a packet on our machines, most of a
// media thread's work. Here every socket of a thread sits in one epoll set, which a libuv
// poll handle on the thread's own loop watches through a one-shot gate; when any is
// readable, every ready socket is read (one recvmmsg each, a few datagrams at most, so that
// one flooded port cannot starve the others) into a shared buffer, and JavaScript is called
// once for the whole batch. Then the gate stays shut for HOLD_MS: what comes meanwhile is
// read by the next wake-up, all at once.
//
// JavaScript sees three arrays it keeps: the data (SLOT bytes a datagram); per datagram,
// four int32: socket, length (-1: longer than a slot, not read), IPv4 address, port; and
// per datagram the time it reached the host (ms since the epoch, the kernel's receive
// timestamp), so that a thread that was held up (a busy core, a paused process) still
// places what waited in its socket where it belongs in time.
// What it wants beyond the callback it copies: the next batch overwrites the buffer.
//
// schedIdle(on) puts the calling thread under SCHED_IDLE, or back under SCHED_OTHER with
// its nice kept: the media threads' way to give the console's thread the core at once.

#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define SLOT 2048
#define MAX_PACKETS 512
#define META_FIELDS 4
// NOTE: per socket and wake-up: a leg sends 50 packets/s, a flood cannot take the batch.
#define PER_SOCKET 8
#define MAX_EVENTS 256
// NOTE: after a batch the thread reads again only this much later (ms), unless the batch
// found more ready sockets than one wake-up takes: what comes meanwhile waits in the
// sockets, each datagram keeping its receive time. Read as they came, 80,000 datagrams/s
// on 1,600 sockets woke the thread about 9,000 times a second and cost it 7.4 µs each;
// held, it wakes about 450 times and they cost 3.2 µs (`npm run bench -- reader`).
#define HOLD_MS 1

typedef struct {
  napi_env env;
  // The sockets' epoll set, and the set that holds it alone, one-shot: the one libuv watches.
  int epfd;
  int gate;
  uv_poll_t poll;
  // Arms the gate again once a batch's hold is over.
  uv_timer_t hold;
  napi_ref callback;
  napi_ref data_ref;
  napi_ref meta_ref;
  napi_ref times_ref;
  napi_async_context async;
  uint8_t* data;
  int32_t* meta;
  double* times;
  // Which descriptors are this mux's sockets, by number.
  uint8_t* own;
  size_t own_size;
  size_t sockets;
  napi_async_cleanup_hook_handle hook;
  int stopped;
  int closing;
  // The handles (poll, hold) not closed yet.
  int handles_open;
  // Datagrams of the batch being delivered that JavaScript queued to send (see queue()).
  int delivering;
  int queued;
  struct mmsghdr out[MAX_PACKETS];
  struct iovec out_iov[MAX_PACKETS];
  struct sockaddr_in out_to[MAX_PACKETS];
  int out_fd[MAX_PACKETS];
  // Queued datagrams the kernel did not take, since the mux was made.
  double unsent;
  int finalized;
} mux_t;

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value msg, code, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  const char* name = err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : "EUDPMUX";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

static int owned(mux_t* m, int32_t fd) {
  return fd >= 0 && (size_t)fd < m->own_size && m->own[fd];
}

// Sends what the batch's callback queued: one sendmmsg for each run of one socket's.
static void flush(mux_t* m) {
  int at = 0;
  while (at < m->queued) {
    int fd = m->out_fd[at];
    int run = 1;
    while (at + run < m->queued && m->out_fd[at + run] == fd) run++;
    // A socket the callback closed sends nothing (its number may be another's by now).
    int sent = owned(m, fd) ? 0 : run;
    while (sent < run) {
      int n = sendmmsg(fd, m->out + at + sent, (unsigned)(run - sent), MSG_DONTWAIT);
      if (n > 0) {
        sent += n;
        continue;
      }
      // NOTE: the first datagram left was refused (a full buffer, an error): it is dropped
      // and counted, and the rest are tried.
      m->unsent += 1;
      sent += 1;
    }
    at += run;
  }
  m->queued = 0;
}

static void deliver(mux_t* m, int count) {
  napi_env env = m->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, recv, argv[1], result;
  napi_get_reference_value(env, m->callback, &callback);
  napi_get_global(env, &recv);
  napi_create_int32(env, count, &argv[0]);
  m->delivering = 1;
  napi_status status = napi_make_callback(env, m->async, recv, callback, 1, argv, &result);
  m->delivering = 0;
  // NOTE: sent now, before the next read overwrites the datagrams they point into, even when
  // the callback threw partway.
  if (!m->stopped) flush(m);
  m->queued = 0;
  if (status == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t* handle, int status, int events);

// Lets the sockets' set wake the thread again (once: see HOLD_MS).
static void arm(mux_t* m) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT};
  epoll_ctl(m->gate, EPOLL_CTL_MOD, m->epfd, &ev);
}

static void on_hold_over(uv_timer_t* timer) {
  mux_t* m = timer->data;
  if (!m->stopped) arm(m);
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  mux_t* m = handle->data;
  if (status < 0 || m->stopped || !(events & UV_READABLE)) return;
  struct epoll_event ready[MAX_EVENTS];
  // Taking the gate's one event disarms it until arm().
  if (epoll_wait(m->gate, ready, 1, 0) < 1) return;
  int n = epoll_wait(m->epfd, ready, MAX_EVENTS, 0);
  int count = 0;
  // When a datagram came without its timestamp (none should): the time it was read.
  double read_at = -1;
  // NOTE: once JavaScript has run, a socket it closed may have had its number reused by
  // any thread of the process: from then on a ready socket is read only if still ours.
  int ran = 0;
  for (int i = 0; i < n && !m->stopped; i++) {
    int fd = ready[i].data.fd;
    if (ran && !owned(m, fd)) continue;
    int taken = 0;
    while (taken < PER_SOCKET) {
      if (count == MAX_PACKETS) {
        deliver(m, count);
        count = 0;
        ran = 1;
        if (m->stopped || !owned(m, fd)) break;
      }
      // NOTE: one recvmmsg takes what the socket holds, up to its share and the batch's room:
      // a leg's socket mostly holds one datagram, and reading it with recvmsg took a second
      // call, the one that found the socket empty.
      int want = PER_SOCKET - taken;
      if (want > MAX_PACKETS - count) want = MAX_PACKETS - count;
      struct mmsghdr msgs[PER_SOCKET];
      struct sockaddr_in from[PER_SOCKET];
      struct iovec iov[PER_SOCKET];
      union {
        char buf[CMSG_SPACE(sizeof(struct timeval))];
        struct cmsghdr align;
      } control[PER_SOCKET];
      for (int k = 0; k < want; k++) {
        from[k] = (struct sockaddr_in){0};
        iov[k] = (struct iovec){.iov_base = m->data + (size_t)(count + k) * SLOT, .iov_len = SLOT};
        msgs[k].msg_hdr = (struct msghdr){.msg_name = &from[k],
                                          .msg_namelen = sizeof from[k],
                                          .msg_iov = &iov[k],
                                          .msg_iovlen = 1,
                                          .msg_control = control[k].buf,
                                          .msg_controllen = sizeof control[k].buf};
        msgs[k].msg_len = 0;
      }
      int got = recvmmsg(fd, msgs, (unsigned)want, MSG_DONTWAIT | MSG_TRUNC, NULL);
      if (got <= 0) break;  // EAGAIN: this socket is empty; anything else: try again later
      for (int k = 0; k < got; k++) {
        double at = -1;
        struct msghdr* msg = &msgs[k].msg_hdr;
        for (struct cmsghdr* c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMP) {
            struct timeval tv;
            memcpy(&tv, CMSG_DATA(c), sizeof tv);
            at = (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
          }
        }
        if (at < 0) {
          if (read_at < 0) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            read_at = (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
          }
          at = read_at;
        }
        m->times[count] = at;
        int32_t* meta = m->meta + (size_t)count * META_FIELDS;
        meta[0] = fd;
        // NOTE: with MSG_TRUNC, msg_len is the datagram's whole length, however long.
        meta[1] = msgs[k].msg_len > SLOT ? -1 : (int32_t)msgs[k].msg_len;
        meta[2] = from[k].sin_family == AF_INET ? (int32_t)ntohl(from[k].sin_addr.s_addr) : 0;
        meta[3] = from[k].sin_family == AF_INET ? ntohs(from[k].sin_port) : 0;
        count++;
      }
      taken += got;
      if (got < want) break;  // all it held
    }
  }
  if (count > 0 && !m->stopped) deliver(m, count);
  if (m->stopped) return;
  // NOTE: the gate is armed again, not the poll stopped and started: libuv would take the set
  // out of its own and add it back, and the kernel walks every socket of an epoll set added
  // to another (a third of the thread's time at 1,600 sockets); re-arming one is cheap.
  if (n > 0 && n < MAX_EVENTS)
    uv_timer_start(&m->hold, on_hold_over, HOLD_MS, 0);
  else
    arm(m);
}

// NOTE: the mux is freed once its handles are closed and its JavaScript object is gone;
// either may come first (a garbage-collected mux, or the thread's loop ending).
static void on_handle_closed(uv_handle_t* handle) {
  mux_t* m = handle->data;
  if (--m->handles_open > 0) return;
  if (m->hook) {
    napi_remove_async_cleanup_hook(m->hook);
    m->hook = NULL;
  }
  if (m->finalized) {
    free(m->own);
    free(m);
  }
}

/** Closes every socket and the poll handle; JavaScript is not called again. */
static void stop(mux_t* m) {
  if (!m->stopped) {
    m->stopped = 1;
    for (size_t fd = 0; fd < m->own_size; fd++)
      if (m->own[fd]) close((int)fd);
    memset(m->own, 0, m->own_size);
    uv_poll_stop(&m->poll);
    uv_timer_stop(&m->hold);
    close(m->gate);
    close(m->epfd);
  }
  if (!m->closing) {
    m->closing = 1;
    uv_close((uv_handle_t*)&m->poll, on_handle_closed);
    uv_close((uv_handle_t*)&m->hold, on_handle_closed);
  }
}

static void on_env_cleanup(napi_async_cleanup_hook_handle hook, void* arg) {
  (void)hook;
  // NOTE: the thread's loop is going away: the sockets must not outlive it, or a thread
  // started in its place could not bind the same ports again.
  stop(arg);
}

static void finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  mux_t* m = data;
  stop(m);
  napi_delete_reference(env, m->callback);
  napi_delete_reference(env, m->data_ref);
  napi_delete_reference(env, m->meta_ref);
  napi_delete_reference(env, m->times_ref);
  napi_async_destroy(env, m->async);
  m->finalized = 1;
  if (m->handles_open == 0) {
    free(m->own);
    free(m);
  }
}

static mux_t* unwrap(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  napi_value self;
  void* data = NULL;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_error(env, NULL, "not a udpmux");
    return NULL;
  }
  mux_t* m = data;
  if (m->stopped) {
    napi_throw_error(env, NULL, "the udpmux is closed");
    return NULL;
  }
  return m;
}

// new Mux(onBatch): the batch callback gets the number of datagrams waiting in `data`,
// `meta` and `times`.
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  napi_valuetype type;
  napi_typeof(env, argv[0], &type);
  if (argc < 1 || type != napi_function) {
    napi_throw_type_error(env, NULL, "new Mux(onBatch): onBatch must be a function");
    return NULL;
  }
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  mux_t* m = calloc(1, sizeof *m);
  if (!m) return throw_errno(env, "udpmux", ENOMEM);
  m->env = env;
  m->epfd = epoll_create1(EPOLL_CLOEXEC);
  m->gate = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event gated = {.events = EPOLLIN | EPOLLONESHOT};
  if (m->epfd < 0 || m->gate < 0 || epoll_ctl(m->gate, EPOLL_CTL_ADD, m->epfd, &gated) < 0) {
    int err = errno;
    if (m->epfd >= 0) close(m->epfd);
    if (m->gate >= 0) close(m->gate);
    free(m);
    return throw_errno(env, "epoll", err);
  }
  napi_value data, meta, times, dataBuffer, metaBuffer, timesBuffer, name;
  napi_create_arraybuffer(env, (size_t)SLOT * MAX_PACKETS, (void**)&m->data, &dataBuffer);
  napi_create_arraybuffer(env, sizeof(int32_t) * META_FIELDS * MAX_PACKETS, (void**)&m->meta,
                          &metaBuffer);
  napi_create_typedarray(env, napi_uint8_array, (size_t)SLOT * MAX_PACKETS, dataBuffer, 0, &data);
  napi_create_typedarray(env, napi_int32_array, META_FIELDS * MAX_PACKETS, metaBuffer, 0, &meta);
  napi_create_arraybuffer(env, sizeof(double) * MAX_PACKETS, (void**)&m->times, &timesBuffer);
  napi_create_typedarray(env, napi_float64_array, MAX_PACKETS, timesBuffer, 0, &times);
  napi_set_named_property(env, self, "data", data);
  napi_set_named_property(env, self, "meta", meta);
  napi_set_named_property(env, self, "times", times);
  napi_create_reference(env, argv[0], 1, &m->callback);
  napi_create_reference(env, data, 1, &m->data_ref);
  napi_create_reference(env, meta, 1, &m->meta_ref);
  napi_create_reference(env, times, 1, &m->times_ref);
  napi_create_string_utf8(env, "udpmux", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &m->async);
  uv_poll_init(loop, &m->poll, m->gate);
  m->poll.data = m;
  uv_poll_start(&m->poll, UV_READABLE, on_readable);
  uv_unref((uv_handle_t*)&m->poll);
  uv_timer_init(loop, &m->hold);
  m->hold.data = m;
  uv_unref((uv_handle_t*)&m->hold);
  m->handles_open = 2;
  napi_add_async_cleanup_hook(env, on_env_cleanup, m, &m->hook);
  napi_wrap(env, self, m, finalize, NULL, NULL);
  return self;
}

static int int_arg(napi_env env, napi_value value, int32_t* out) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  return type == napi_number && napi_get_value_int32(env, value, out) == napi_ok;
}

// mux.bind(ipv4, port, receiveBufferBytes): the socket's id, or throws (code EADDRINUSE...).
static napi_value bind_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  mux_t* m = unwrap(env, info, &argc, argv);
  if (!m) return NULL;
  char ip[64];
  size_t iplen = 0;
  int32_t port, rcvbuf;
  struct sockaddr_in addr = {.sin_family = AF_INET};
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &iplen) != napi_ok ||
      !int_arg(env, argv[1], &port) || !int_arg(env, argv[2], &rcvbuf) || port < 0 ||
      port > 65535 || inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
    napi_throw_type_error(env, NULL, "mux.bind(ipv4, port, receiveBufferBytes)");
    return NULL;
  }
  addr.sin_port = htons((uint16_t)port);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  // NOTE: where the kernel would not stamp (it always does), datagrams carry their read time.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof one);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  if ((size_t)fd >= m->own_size) {
    size_t size = m->own_size ? m->own_size : 1024;
    while (size <= (size_t)fd) size *= 2;
    uint8_t* grown = realloc(m->own, size);
    if (!grown) {
      close(fd);
      return throw_errno(env, "udpmux", ENOMEM);
    }
    memset(grown + m->own_size, 0, size - m->own_size);
    m->own = grown;
    m->own_size = size;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "epoll_ctl", err);
  }
  m->own[fd] = 1;
  // NOTE: like a bound dgram socket, a mux with sockets keeps its thread's loop alive.
  if (m->sockets++ == 0) uv_ref((uv_handle_t*)&m->poll);
  napi_value id;
  napi_create_int32(env, fd, &id);
  return id;
}

// The mux and the socket id a method was called with (its only argument).
static mux_t* unwrap_id(napi_env env, napi_callback_info info, int32_t* fd, const char* usage) {
  size_t argc = 1;
  napi_value argv[1];
  mux_t* m = unwrap(env, info, &argc, argv);
  if (m && (argc < 1 || !int_arg(env, argv[0], fd))) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return m;
}

// mux.port(id): the port the socket is bound to.
static napi_value socket_port(napi_env env, napi_callback_info info) {
  int32_t fd;
  mux_t* m = unwrap_id(env, info, &fd, "mux.port(id)");
  if (!m) return NULL;
  if (!owned(m, fd)) {
    napi_throw_error(env, NULL, "mux.port(id): no such socket");
    return NULL;
  }
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr*)&addr, &len) < 0)
    return throw_errno(env, "getsockname", errno);
  napi_value port;
  napi_create_int32(env, ntohs(addr.sin_port), &port);
  return port;
}

// mux.send(id, bytes, ipv4AsUint32, port): bytes sent, or a negative errno (not thrown:
// a datagram the kernel cannot take now is lost like one lost on the wire).
static napi_value send_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  mux_t* m = unwrap(env, info, &argc, argv);
  if (!m) return NULL;
  int32_t fd, port;
  uint32_t ip;
  void* bytes;
  size_t length;
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  bool typed = false;
  if (argc == 4) napi_is_typedarray(env, argv[1], &typed);
  if (!typed || !int_arg(env, argv[0], &fd) ||
      napi_get_value_uint32(env, argv[2], &ip) != napi_ok || !int_arg(env, argv[3], &port) ||
      port <= 0 || port > 65535 || !owned(m, fd)) {
    napi_throw_type_error(env, NULL, "mux.send(id, bytes, ipv4AsUint32, port)");
    return NULL;
  }
  napi_get_typedarray_info(env, argv[1], &type, &length, &bytes, &arraybuffer, &offset);
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "mux.send: bytes must be a Uint8Array");
    return NULL;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  to.sin_addr.s_addr = htonl(ip);
  ssize_t sent = sendto(fd, bytes, length, MSG_DONTWAIT, (struct sockaddr*)&to, sizeof to);
  napi_value result;
  napi_create_int32(env, sent < 0 ? -errno : (int32_t)sent, &result);
  return result;
}

// mux.queue(id, offset, length, ipv4AsUint32, port): during a batch's callback, queues the
// `length` bytes at `offset` of `data` (a datagram of the batch, perhaps rewritten) to be
// sent from socket `id` once the callback returns, with every other queued one in one
// sendmmsg. False when not in a batch's callback or the queue is full: send instead.
static napi_value queue_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  mux_t* m = unwrap(env, info, &argc, argv);
  if (!m) return NULL;
  int32_t fd, offset, length, port;
  uint32_t ip;
  if (argc < 5 || !int_arg(env, argv[0], &fd) || !int_arg(env, argv[1], &offset) ||
      !int_arg(env, argv[2], &length) || napi_get_value_uint32(env, argv[3], &ip) != napi_ok ||
      !int_arg(env, argv[4], &port) || port <= 0 || port > 65535 || !owned(m, fd) ||
      offset < 0 || length < 0 || (size_t)offset + (size_t)length > (size_t)SLOT * MAX_PACKETS) {
    napi_throw_type_error(env, NULL, "mux.queue(id, offset, length, ipv4AsUint32, port)");
    return NULL;
  }
  bool queued = m->delivering && m->queued < MAX_PACKETS;
  if (queued) {
    int i = m->queued++;
    m->out_fd[i] = fd;
    m->out_to[i] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    m->out_to[i].sin_addr.s_addr = htonl(ip);
    m->out_iov[i] = (struct iovec){.iov_base = m->data + offset, .iov_len = (size_t)length};
    m->out[i].msg_hdr = (struct msghdr){.msg_name = &m->out_to[i],
                                        .msg_namelen = sizeof m->out_to[i],
                                        .msg_iov = &m->out_iov[i],
                                        .msg_iovlen = 1};
    m->out[i].msg_len = 0;
  }
  napi_value result;
  napi_get_boolean(env, queued, &result);
  return result;
}

// mux.unsent(): how many queued datagrams the kernel did not take, since the mux was made.
static napi_value unsent_count(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  mux_t* m = unwrap(env, info, &argc, NULL);
  if (!m) return NULL;
  napi_value result;
  napi_create_double(env, m->unsent, &result);
  return result;
}

// mux.close(id): closes one socket (idempotent); its port is free at once.
static napi_value close_socket(napi_env env, napi_callback_info info) {
  int32_t fd;
  mux_t* m = unwrap_id(env, info, &fd, "mux.close(id)");
  if (!m) return NULL;
  if (owned(m, fd)) {
    epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    m->own[fd] = 0;
    if (--m->sockets == 0) uv_unref((uv_handle_t*)&m->poll);
  }
  return NULL;
}

// mux.destroy(): closes every socket; the mux cannot be used again.
static napi_value destroy(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  mux_t* m = unwrap(env, info, &argc, NULL);
  if (m) stop(m);
  return NULL;
}

// schedIdle(on): the calling thread under SCHED_IDLE (true) or SCHED_OTHER (false). Returns
// 0, or the errno: leaving SCHED_IDLE takes CAP_SYS_NICE or an RLIMIT_NICE that allows the
// thread's nice (EPERM otherwise).
static napi_value sched_idle(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool on;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_bool(env, argv[0], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "schedIdle(on): on must be a boolean");
    return NULL;
  }
  struct sched_param param = {.sched_priority = 0};
  int rc = sched_setscheduler(0, on ? SCHED_IDLE : SCHED_OTHER, &param);
  napi_value result;
  napi_create_int32(env, rc == 0 ? 0 : errno, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"bind", NULL, bind_socket, NULL, NULL, NULL, napi_default, NULL},
      {"port", NULL, socket_port, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, send_datagram, NULL, NULL, NULL, napi_default, NULL},
      {"queue", NULL, queue_datagram, NULL, NULL, NULL, napi_default, NULL},
      {"unsent", NULL, unsent_count, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_default, NULL},
      {"destroy", NULL, destroy, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value mux, slot, maxPackets;
  napi_define_class(env, "Mux", NAPI_AUTO_LENGTH, construct, NULL,
                    sizeof methods / sizeof methods[0], methods, &mux);
  napi_set_named_property(env, exports, "Mux", mux);
  napi_create_int32(env, SLOT, &slot);
  napi_create_int32(env, MAX_PACKETS, &maxPackets);
  napi_set_named_property(env, exports, "SLOT", slot);
  napi_set_named_property(env, exports, "MAX_PACKETS", maxPackets);
  napi_value schedIdle;
  napi_create_function(env, "schedIdle", NAPI_AUTO_LENGTH, sched_idle, NULL, &schedIdle);
  napi_set_named_property(env, exports, "schedIdle", schedIdle);
  return exports;
}
