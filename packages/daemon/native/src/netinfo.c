/* netinfo: the network interfaces of running containers as LXD's InstanceStateNetwork, read
 * over rtnetlink after joining only each container's network namespace (setns CLONE_NEWNET via
 * /proc/PID/ns/net; no user or mount namespace, nothing in the container runs).
 *
 * One --pid prints {"<ifname>": {...}}; several print {"<pid>": {"<ifname>": {...}}, ...} and
 * leave out the pids that failed (each failure is one JSON line on stderr with its pid), so a
 * container that stops meanwhile does not spoil the batch. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

struct iface {
	int index;
	char name[IFNAMSIZ + 1];
	unsigned flags;
	unsigned mtu;
	unsigned char hw[32];
	size_t hwlen;
	struct rtnl_link_stats64 stats;
	struct buf addrs; /* JSON objects, comma separated */
};

struct ifaces {
	struct iface *v;
	size_t n, cap;
};

static struct iface *find_iface(struct ifaces *l, int index)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].index == index)
			return &l->v[i];
	return NULL;
}

static void free_ifaces(struct ifaces *l)
{
	for (size_t i = 0; i < l->n; i++)
		buf_free(&l->v[i].addrs);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void on_link(struct ifaces *l, struct nlmsghdr *h)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	struct iface *f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	f->index = ifi->ifi_index;
	f->flags = ifi->ifi_flags;
	int len = (int)IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t alen = RTA_PAYLOAD(a);
		switch (a->rta_type) {
		case IFLA_IFNAME:
			memcpy(f->name, RTA_DATA(a), alen < IFNAMSIZ ? alen : IFNAMSIZ);
			break;
		case IFLA_MTU:
			if (alen >= 4)
				memcpy(&f->mtu, RTA_DATA(a), 4);
			break;
		case IFLA_ADDRESS:
			f->hwlen = alen < sizeof(f->hw) ? alen : sizeof(f->hw);
			memcpy(f->hw, RTA_DATA(a), f->hwlen);
			break;
		case IFLA_STATS64:
			memcpy(&f->stats, RTA_DATA(a), alen < sizeof(f->stats) ? alen : sizeof(f->stats));
			break;
		}
	}
}

static const char *scope_name(unsigned char scope)
{
	switch (scope) {
	case RT_SCOPE_HOST: return "local";
	case RT_SCOPE_LINK: return "link";
	default: return "global";
	}
}

static void on_addr(struct ifaces *l, struct nlmsghdr *h)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return;
	struct iface *f = find_iface(l, (int)ifa->ifa_index);
	if (!f)
		return;
	const void *local = NULL, *address = NULL;
	int len = (int)IFA_PAYLOAD(h);
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (RTA_PAYLOAD(a) < (ifa->ifa_family == AF_INET ? 4u : 16u))
			continue;
		if (a->rta_type == IFA_LOCAL)
			local = RTA_DATA(a);
		else if (a->rta_type == IFA_ADDRESS)
			address = RTA_DATA(a);
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point. */
	const void *ip = local ? local : address;
	char text[INET6_ADDRSTRLEN];
	if (!ip || !inet_ntop(ifa->ifa_family, ip, text, sizeof(text)))
		return;
	buf_fmt(&f->addrs, "%s{\"family\":\"%s\",\"address\":\"%s\",\"netmask\":\"%u\",\"scope\":\"%s\"}",
		f->addrs.len ? "," : "", ifa->ifa_family == AF_INET ? "inet" : "inet6", text, ifa->ifa_prefixlen,
		scope_name(ifa->ifa_scope));
}

/* One rtnetlink dump (RTM_GETLINK or RTM_GETADDR) into l. */
static int dump(int sock, int type, struct ifaces *l)
{
	struct {
		struct nlmsghdr h;
		union {
			struct ifinfomsg link;
			struct ifaddrmsg addr;
		} u;
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(type == RTM_GETLINK ? sizeof(req.u.link) : sizeof(req.u.addr));
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = (unsigned)type;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(sock, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -1;

	static char rbuf[64 * 1024] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		ssize_t n = recv(sock, rbuf, sizeof(rbuf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPROTO;
			return -1;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != (unsigned)type)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				errno = e->error ? -e->error : EPROTO;
				return -1;
			}
			if (h->nlmsg_type == RTM_NEWLINK)
				on_link(l, h);
			else if (h->nlmsg_type == RTM_NEWADDR)
				on_addr(l, h);
		}
	}
}

static void emit(struct buf *out, const struct ifaces *l)
{
	buf_str(out, "{");
	for (size_t i = 0; i < l->n; i++) {
		const struct iface *f = &l->v[i];
		const struct rtnl_link_stats64 *s = &f->stats;
		if (i > 0)
			buf_str(out, ",");
		buf_json(out, f->name);
		buf_fmt(out, ":{\"addresses\":[%s],", f->addrs.data ? f->addrs.data : "");
		buf_fmt(out,
			"\"counters\":{\"bytes_received\":%llu,\"bytes_sent\":%llu,\"packets_received\":%llu,"
			"\"packets_sent\":%llu,\"errors_received\":%llu,\"errors_sent\":%llu,"
			"\"packets_dropped_outbound\":%llu,\"packets_dropped_inbound\":%llu},",
			(unsigned long long)s->rx_bytes, (unsigned long long)s->tx_bytes, (unsigned long long)s->rx_packets,
			(unsigned long long)s->tx_packets, (unsigned long long)s->rx_errors, (unsigned long long)s->tx_errors,
			(unsigned long long)s->tx_dropped, (unsigned long long)s->rx_dropped);
		/* An all-zero hardware address (lo) is reported empty, as LXD (Go's net package) does. */
		int nonzero = 0;
		for (size_t b = 0; b < f->hwlen; b++)
			nonzero |= f->hw[b];
		buf_str(out, "\"hwaddr\":\"");
		for (size_t b = 0; nonzero && b < f->hwlen; b++)
			buf_fmt(out, "%s%02x", b ? ":" : "", f->hw[b]);
		const char *type = (f->flags & IFF_BROADCAST)	  ? "broadcast"
				   : (f->flags & IFF_LOOPBACK)	  ? "loopback"
				   : (f->flags & IFF_POINTOPOINT) ? "point-to-point"
								  : "unknown";
		buf_fmt(out, "\",\"host_name\":\"\",\"mtu\":%u,\"state\":\"%s\",\"type\":\"%s\"}", f->mtu,
			(f->flags & IFF_UP) ? "up" : "down", type);
	}
	buf_str(out, "}");
}

/* The helper's own (the host's) network namespace, taken before joining any other, and an fd
 * to go back to it: a helper left inside a container's namespace would keep that namespace
 * (and the host end of every veth whose peer is in it) alive after the container stopped. */
static struct stat host_net;
static int home_net = -1;

/* Back to the helper's own network namespace; failing that, nothing later can be trusted and
 * the helper must not linger in a container's namespace, so it exits (lodged starts another). */
static void go_home(void)
{
	if (setns(home_net, CLONE_NEWNET) < 0) {
		report(errno, "setns back to the helper's network namespace", NULL);
		_exit(1);
	}
}

/* The interfaces of pid's network namespace as one JSON object appended to out. */
static int netinfo_of(int pid, struct buf *out, int *err, const char **what)
{
	struct stat st;
	int fd = open_pid_ns(pid, "net");
	if (fd < 0)
		return *err = errno, *what = "open the network namespace", -1;
	if (fstat(fd, &st) < 0 || same_inode(&st, &host_net)) {
		*err = same_inode(&st, &host_net) ? EPERM : errno;
		*what = "the process shares the host's network namespace, refusing";
		close(fd);
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		*err = errno, *what = "setns net";
		close(fd);
		return -1;
	}
	close(fd);
	/* The socket stays bound to the namespace it was made in, so the helper leaves at once; the
	 * namespace is only referenced until the socket is closed below. */
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int sock_err = errno;
	go_home();
	if (sock < 0)
		return *err = sock_err, *what = "netlink socket", -1;
	struct ifaces l = { 0 };
	int r = dump(sock, RTM_GETLINK, &l);
	if (r == 0)
		r = dump(sock, RTM_GETADDR, &l);
	if (r < 0)
		*err = errno, *what = "netlink dump";
	else
		emit(out, &l);
	close(sock);
	free_ifaces(&l);
	return r;
}

/* {"pid":{...},...} for every pid that could be read; failures are reported on stderr, one JSON line each. */
static void netinfo_many(const int *pids, int n, struct buf *out)
{
	buf_str(out, "{");
	int first = 1;
	for (int i = 0; i < n; i++) {
		size_t mark = out->len;
		buf_fmt(out, "%s\"%d\":", first ? "" : ",", pids[i]);
		int err;
		const char *what;
		if (netinfo_of(pids[i], out, &err, &what) < 0) {
			out->len = mark;
			out->data[mark] = '\0';
			struct buf line = { 0 };
			buf_fmt(&line, "{\"pid\":%d,\"error\":", pids[i]);
			struct buf m = { 0 };
			buf_fmt(&m, "%s: %s", what, strerror(err));
			buf_json(&line, m.data);
			buf_fmt(&line, ",\"errno\":%d}\n", err);
			(void)write_all(STDERR_FILENO, line.data, line.len);
			buf_free(&m);
			buf_free(&line);
			continue;
		}
		first = 0;
	}
	buf_str(out, "}");
}

/*
 * --serve: one request per stdin line (pids separated by spaces), one JSON line answered per request, until
 * EOF. The daemon keeps one of these running so that reading interfaces costs no process start.
 */
static int serve(void)
{
	char *line = NULL;
	size_t cap = 0;
	int pids[1024];
	while (getline(&line, &cap, stdin) > 0) {
		int n = 0;
		char *save = NULL;
		for (char *tok = strtok_r(line, " \t\n", &save); tok && n < 1024; tok = strtok_r(NULL, " \t\n", &save)) {
			if (parse_pid(tok, &pids[n]) == 0)
				n++;
		}
		struct buf out = { 0 };
		netinfo_many(pids, n, &out);
		buf_str(&out, "\n");
		int r = write_all(STDOUT_FILENO, out.data, out.len);
		buf_free(&out);
		if (r < 0)
			return report(errno, "write", NULL);
	}
	free(line);
	return 0;
}

int cmd_netinfo(int argc, char **argv)
{
	int serving = argc == 2 && strcmp(argv[1], "--serve") == 0;
	int *pids = calloc((size_t)argc, sizeof(int));
	int n = 0;
	if (!pids)
		abort();
	for (int i = 1; i < argc && !serving; i++) {
		if (strcmp(argv[i], "--pid") != 0 || i + 1 >= argc || parse_pid(argv[i + 1], &pids[n]) < 0)
			return report(EINVAL, "usage: lodge-helper netinfo --pid PID [--pid PID]... | --serve", "bad arguments");
		n++, i++;
	}
	if (n == 0 && !serving)
		return report(EINVAL, "usage: lodge-helper netinfo --pid PID [--pid PID]... | --serve", "bad arguments");
	if (close_range(3, ~0U, 0) < 0)
		return report(errno, "close_range", NULL);
	signal(SIGPIPE, SIG_IGN);
	home_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_net < 0 || fstat(home_net, &host_net) < 0)
		return report(errno, "open /proc/self/ns/net", NULL);
	if (serving)
		return serve();

	struct buf out = { 0 };
	if (n == 1) {
		int err;
		const char *what;
		if (netinfo_of(pids[0], &out, &err, &what) < 0) {
			struct buf m = { 0 };
			buf_fmt(&m, "pid %d: %s", pids[0], what);
			report(err, m.data, NULL);
			return 1;
		}
	} else {
		netinfo_many(pids, n, &out);
	}
	buf_str(&out, "\n");
	if (write_all(STDOUT_FILENO, out.data, out.len) < 0)
		return report(errno, "write", NULL);
	return 0;
}
