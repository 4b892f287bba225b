/* lookup NAME...: one getaddrinfo(AF_UNSPEC, SOCK_STREAM) per name, one after the other, 0.5 s
 * apart; prints "NAME ms ADDR..." per name and exits 1 if any lookup failed.
 * Built with musl-gcc -static, so the lookups go through musl's own stub resolver (which reads
 * /etc/resolv.conf: `ip netns exec` bind-mounts the namespace's) instead of glibc's; the lab uses
 * it to capture how another libc asks A and AAAA and retries them. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  int failed = 0;
  for (int i = 1; i < argc; i++) {
    struct addrinfo hints, *res = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    double t0 = now_ms();
    int rc = getaddrinfo(argv[i], "80", &hints, &res);
    double took = now_ms() - t0;
    if (rc != 0) {
      printf("%s %.0f ms error %s\n", argv[i], took, gai_strerror(rc));
      failed = 1;
    } else {
      printf("%s %.0f ms", argv[i], took);
      for (struct addrinfo *a = res; a; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN];
        const void *raw = a->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr
                                                    : (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr;
        printf(" %s", inet_ntop(a->ai_family, raw, text, sizeof text) ? text : "?");
      }
      printf("\n");
      freeaddrinfo(res);
    }
    fflush(stdout);
    if (i + 1 < argc) {
      struct timespec pause = {0, 500000000};
      nanosleep(&pause, 0);
    }
  }
  return failed;
}
