# desk-eval sandbox guard, prepended to every candidate program.
#
# An audit hook (PEP 578) cannot be removed once installed, so everything the
# candidate runs after this point is seen by it. It is a guard against the
# accidents a model's code can cause (network calls, deleting files, spawning
# processes), not a boundary against code written to escape it: Python code
# can still patch the modules this hook relies on. The process-level limits
# (network namespace, rlimits, process group) are the harder walls.
#
# A blocked event ends the process at once with os._exit, so a candidate's
# `except Exception` cannot swallow it and carry on.
def _desk_guard(root, exit_code):
    import os, sys

    write, hard_exit = os.write, os._exit
    realpath, join, isabs, exists = os.path.realpath, os.path.join, os.path.isabs, os.path.exists
    fspath = os.fspath
    root = realpath(root)
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def block(event, args):
        # The exit must happen even if the report cannot be made (a closed
        # stderr, an args repr that raises).
        try:
            detail = repr(args)[:200]
            write(2, ("\ndesk-sandbox: blocked %s %s\n" % (event, detail)).encode("utf-8", "replace"))
        finally:
            hard_exit(exit_code)

    def inside(path, dir_fd=None):
        # A bare fd names a file the hook cannot place, so it counts as outside.
        if path is None or isinstance(path, int):
            return False
        path = fspath(path)
        if isinstance(path, bytes):
            path = path.decode("utf-8", "surrogateescape")
        # Audit events report an absent dir_fd as a negative number (-1 or
        # AT_FDCWD). A real one (shutil.rmtree walks by them) is placed through
        # /proc; where there is no /proc the path counts as outside.
        if isinstance(dir_fd, int) and dir_fd >= 0 and not isabs(path):
            base = "/proc/self/fd/%d" % dir_fd
            if not exists(base):
                return False
            path = join(realpath(base), path)
        resolved = realpath(path)
        return resolved == root or resolved.startswith(root + os.sep)

    def arg(args, i):
        return args[i] if len(args) > i else None

    # Events that are never needed by a HumanEval solution.
    forbidden = {
        "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo",
        "socket.gethostbyname", "socket.gethostbyaddr",
        "socket.sendto", "socket.sendmsg", "subprocess.Popen", "os.system",
        "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "os.kill", "os.killpg", "pty.spawn", "ctypes.dlopen", "os.link",
        "os.symlink", "os.truncate", "os.chown", "os.chflags", "os.setxattr",
        "os.removexattr", "shutil.chown", "urllib.Request", "webbrowser.open",
    }
    # Events whose first path argument (and dir_fd argument, if any) must
    # stay inside the sandbox directory.
    one_path = {
        "os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.chmod": 2,
        "os.utime": 4, "shutil.rmtree": 1, "os.mkfifo": 2, "os.mknod": 3,
    }
    # A move changes both ends; a copy only its destination.
    moves = {"os.rename", "shutil.move"}
    copies = {"shutil.copyfile", "shutil.copytree", "shutil.copymode", "shutil.copystat"}

    def writes(mode, flags):
        if isinstance(mode, str):
            return any(c in mode for c in "wax+")
        return isinstance(flags, int) and bool(flags & write_flags)

    def hook(event, args):
        try:
            if event in forbidden:
                block(event, args)
            elif event == "open":
                path, mode, flags = arg(args, 0), arg(args, 1), arg(args, 2)
                if not writes(mode, flags):
                    return
                # Writing through an fd that is already open (stdout, a pipe)
                # needs no new file; os.open's relative paths may carry a
                # dir_fd the event does not report, so only builtin open()
                # (mode is a string) may use them.
                if isinstance(path, int):
                    return
                if mode is None and not isabs(fspath(path)):
                    block(event, args)
                if not inside(path):
                    block(event, args)
            elif event in one_path:
                if not inside(arg(args, 0), arg(args, one_path[event])):
                    block(event, args)
            elif event in moves or event in copies:
                if event in moves and not inside(arg(args, 0)):
                    block(event, args)
                if not inside(arg(args, 1)):
                    block(event, args)
                # os.rename's src_dir_fd / dst_dir_fd
                if any(isinstance(a, int) and a >= 0 for a in args[2:]):
                    block(event, args)
        except BaseException:
            # Fail closed: a hook that cannot decide blocks.
            block(event, args)

    sys.addaudithook(hook)


_desk_guard(__DESK_ROOT__, __DESK_EXIT__)
del _desk_guard
