/* tskube pause: the do-nothing first process of every pod sandbox.
 *
 * It holds the pod's namespaces open, reaps any orphan that is re-parented to it (when the pod shares
 * one PID namespace), and exits 0 on SIGINT or SIGTERM. Signals with the default disposition never
 * reach a namespace's init process, so we install handlers (that do nothing) and then take the signals
 * synchronously with sigwaitinfo: no work ever happens inside a handler.
 * Build: gcc -static -O2 -s -o pause pause.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void noop(int sig) { (void)sig; }

int main(void) {
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGINT);
  sigaddset(&wanted, SIGTERM);
  sigaddset(&wanted, SIGCHLD);

  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_handler = noop;
  for (int s = 0; s < 3; s++) {
    int sig = s == 0 ? SIGINT : s == 1 ? SIGTERM : SIGCHLD;
    if (sigaction(sig, &act, NULL) != 0) { perror("pause: sigaction"); return 1; }
  }
  if (sigprocmask(SIG_BLOCK, &wanted, NULL) != 0) { perror("pause: sigprocmask"); return 1; }
  if (getpid() != 1) fputs("pause: not running as PID 1; orphans will not be reaped here\n", stderr);

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&wanted, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      perror("pause: sigwaitinfo");
      return 1;
    }
    if (sig == SIGCHLD) {
      /* one SIGCHLD may stand for many exits: reap until nothing is left */
      while (waitpid(-1, NULL, WNOHANG) > 0) {}
      continue;
    }
    fprintf(stderr, "pause: got %s, exiting\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
  }
}
