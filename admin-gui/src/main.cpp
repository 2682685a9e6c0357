// bootkeeper-admin: the Qt admin GUI of Bootkeeper. It talks only to the REST API.
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

#include "api_client.hpp"
#include "connect_dialog.hpp"
#include "main_window.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("Bootkeeper");
  QApplication::setApplicationName("bootkeeper-admin");
  QCommandLineParser cli;
  cli.setApplicationDescription(
      "The Bootkeeper admin GUI: machines, discovered machines, subnets, images, the live boot log and the "
      "boot preview, over the REST API of a running bootkeeperd.");
  cli.addHelpOption();
  QCommandLineOption server({"s", "server"}, "the API's URL (default: the last one used)", "URL");
  QCommandLineOption token({"t", "token"}, "an API token (default: the last one used); BOOTKEEPER_TOKEN too",
                           "TOKEN");
  cli.addOption(server);
  cli.addOption(token);
  cli.process(app);

  bk::admin::ApiClient api;
  QSettings settings;
  if (cli.isSet(server)) settings.setValue("server/url", cli.value(server));
  if (cli.isSet(token)) settings.setValue("server/token", cli.value(token));
  if (const QByteArray env = qgetenv("BOOTKEEPER_TOKEN"); !env.isEmpty())
    settings.setValue("server/token", QString::fromUtf8(env));

  bk::admin::ConnectDialog connect_dialog(api);
  if (connect_dialog.exec() != QDialog::Accepted) return 1;
  bk::admin::MainWindow window(api);
  window.show();
  window.load();
  return QApplication::exec();
}
