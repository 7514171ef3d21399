# RnnLm HTTP service. Base images are build arguments so that machines without registry access can
# substitute local stand-ins (see deploy/README.md); the defaults are Microsoft's images.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Restore first, from the project files alone, so the package layer is cached until a project file changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/RnnLm.Engine/RnnLm.Engine.csproj src/RnnLm.Engine/
COPY src/RnnLm.Api/RnnLm.Api.csproj src/RnnLm.Api/
RUN dotnet restore src/RnnLm.Api/RnnLm.Api.csproj
COPY src/RnnLm.Engine/ src/RnnLm.Engine/
COPY src/RnnLm.Api/ src/RnnLm.Api/
RUN dotnet publish src/RnnLm.Api/RnnLm.Api.csproj -c Release --no-restore -o /app

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
COPY models/brown-default.rnnlm models/brown-default.json /app/models/
# The Brown corpus splits for {"corpus":"brown"} training jobs; manifest.json records their sha256 (rnnlm prepare-brown checks them).
COPY data/brown/train.txt data/brown/valid.txt data/brown/test.txt data/brown/manifest.json /app/data/brown/
# A fixed non-root user; /data holds what the service writes (jobs database, uploads, checkpoints, trained models).
RUN groupadd --system --gid 10001 rnnlm && useradd --system --uid 10001 --gid rnnlm --no-create-home rnnlm \
    && mkdir -p /data && chown rnnlm:rnnlm /data
USER 10001
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    RnnLm__ModelPath=/app/models/brown-default.rnnlm \
    RnnLm__DataDirectory=/data \
    RnnLm__BrownDirectory=/app/data/brown \
    RnnLm__LogFormat=json
EXPOSE 8080
# Microsoft's runtime image has neither curl nor wget, but every non-chiseled one has bash: the probe speaks HTTP over
# bash's /dev/tcp, to the port taken from the last URL in ASPNETCORE_URLS, and passes on a 200 status line.
# (Kubernetes ignores HEALTHCHECK and uses the httpGet probes in deploy/k8s/.) Needs `--format docker` with podman.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "port=${ASPNETCORE_URLS##*:}; port=${port%%[/;]*}; exec 3<>/dev/tcp/127.0.0.1/${port:-8080} && printf 'GET /health/ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
ENTRYPOINT ["dotnet", "RnnLm.Api.dll"]
