# RnnLm HTTP service. Base images are build arguments so that machines without registry access can
# substitute local stand-ins (see README); the defaults are Microsoft's images.
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
# A fixed non-root user; /data holds what the service writes (jobs database, checkpoints, trained models).
RUN groupadd --system --gid 10001 rnnlm && useradd --system --uid 10001 --gid rnnlm --no-create-home rnnlm \
    && mkdir -p /data && chown rnnlm:rnnlm /data
USER 10001
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    RnnLm__ModelPath=/app/models/brown-default.rnnlm \
    RnnLm__LogFormat=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["dotnet", "RnnLm.Api.dll"]
