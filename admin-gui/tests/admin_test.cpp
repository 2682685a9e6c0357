// The admin GUI against a real bootkeeperd (started by tests/admin_gui.sh, which also gives a
// way to make a real BOOTP exchange with bootpc). QT_QPA_PLATFORM=offscreen.
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QEventLoop>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QTextBrowser>
#include <QTreeWidget>

#include "api_client.hpp"
#include "boot_log.hpp"
#include "connect_dialog.hpp"
#include "machine_dialog.hpp"
#include "machine_model.hpp"
#include "main_window.hpp"
#include "views.hpp"

using namespace bk::admin;

namespace {

QString env(const char* name) {
  return QString::fromLocal8Bit(qgetenv(name));
}

// Runs one API call and waits for its answer.
Result call(ApiClient& api, const QByteArray& method, const QString& path, const QJsonValue& body = {}) {
  Result out;
  QEventLoop loop;
  if (method == "GET") {
    api.get(path, [&](const Result& r) {
      out = r;
      loop.quit();
    });
  } else {
    api.send(method, path, body, [&](const Result& r) {
      out = r;
      loop.quit();
    });
  }
  loop.exec();
  return out;
}

// A real BOOTP exchange: bootpc as `mac` from the client namespace (tests/admin_gui.sh).
bool bootpc(const QString& mac) {
  QProcess p;
  p.start(env("BK_BOOTPC"), {mac});
  p.waitForFinished(30000);
  return p.exitCode() == 0;
}

}  // namespace

class AdminTest : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QVERIFY2(!env("BK_API").isEmpty(), "run through tests/admin_gui.sh");
    api_.set_server(QUrl(env("BK_API")), env("BK_TOKEN"));
    QVERIFY(call(api_, "GET", "/healthz").ok());
  }

  void connect_dialog_says_when_the_token_is_refused() {
    ApiClient other;
    ConnectDialog d(other);
    d.url_edit()->setText(env("BK_API"));
    d.token_edit()->setText("bk_wrong");
    QCOMPARE(d.token_edit()->echoMode(), QLineEdit::Password);
    d.try_connect();
    QTRY_VERIFY(d.message()->text().contains("refused the token"));
    QCOMPARE(other.state(), ApiClient::State::refused);
    d.token_edit()->setText(env("BK_TOKEN"));
    d.try_connect();
    QTRY_COMPARE(d.result(), int(QDialog::Accepted));
    QCOMPARE(other.state(), ApiClient::State::connected);

    ConnectDialog nowhere(other);
    nowhere.url_edit()->setText("http://127.0.0.1:9");
    nowhere.try_connect();
    QTRY_VERIFY(nowhere.message()->text().contains("cannot reach"));
  }

  void a_machine_added_in_the_dialog_is_in_the_api() {
    MachineDialog d(api_, {});
    QTRY_VERIFY(d.image_box()->count() > 1);  // the images came from the server
    QTest::keyClicks(d.field("mac"), "52-54-00-00-0a-01");
    QTest::keyClicks(d.field("hostname"), "gui01");
    QTest::keyClicks(d.field("ip"), "198.18.0.61");
    d.image_box()->setCurrentIndex(d.image_box()->findText("lab-bios"));
    QTest::keyClicks(d.field("group"), "room-g");
    QSignalSpy saved(&d, &MachineDialog::saved);
    QTest::mouseClick(d.save_button(), Qt::LeftButton);
    QTRY_COMPARE(saved.count(), 1);
    const Result r = call(api_, "GET", "/api/v1/machines/52:54:00:00:0a:01");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.object().value("hostname").toString(), QString("gui01"));
    QCOMPARE(r.object().value("image").toString(), QString("lab-bios"));
    QCOMPARE(r.object().value("group").toString(), QString("room-g"));
  }

  void an_invalid_address_shows_the_servers_reason_next_to_its_field() {
    MachineDialog d(api_, {});
    QTest::keyClicks(d.field("mac"), "52:54:00:00:0a:02");
    QTest::keyClicks(d.field("hostname"), "gui02");
    QTest::keyClicks(d.field("ip"), "198.18.0.50");  // ws01's
    QSignalSpy checked(&d, &MachineDialog::checked);
    QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, 5000);  // after the typing pause, by itself
    QVERIFY2(d.error_text("ip").contains("ws01"), qPrintable(d.error_text("ip")));
    QVERIFY(d.error_text("mac").isEmpty());
    QVERIFY(d.error_text("hostname").isEmpty());
    // Fixed: the line clears.
    d.field("ip")->setText("198.18.0.62");
    d.check_now();
    QTRY_VERIFY(checked.count() >= 2);
    QVERIFY(d.error_text("ip").isEmpty());
    // On Save, the server's refusal lands next to its field too.
    d.field("ip")->setText("10.1.2.3");
    QTest::mouseClick(d.save_button(), Qt::LeftButton);
    QTRY_VERIFY(!d.error_text("ip").isEmpty());
    QVERIFY(d.isVisible() || d.result() != QDialog::Accepted);
    QCOMPARE(call(api_, "GET", "/api/v1/machines/52:54:00:00:0a:02").status, 404);
  }

  void a_discovered_machine_is_registered_with_a_suggested_address() {
    QVERIFY(bootpc("52:54:00:99:00:01"));  // unknown: no answer, recorded
    DiscoveredView view(api_);
    QSignalSpy refreshed(&view, &DiscoveredView::refreshed);
    int row = -1;
    for (int attempt = 0; attempt < 20 && row < 0; ++attempt) {
      view.refresh();
      QTRY_VERIFY(refreshed.count() > attempt);
      for (int i = 0; i < view.table()->rowCount(); ++i) {
        if (view.table()->item(i, 0)->text() == "52:54:00:99:00:01") row = i;
      }
      if (row < 0) QTest::qWait(250);
    }
    QVERIFY2(row >= 0, "the unknown MAC is listed");
    view.table()->setCurrentCell(row, 0);
    MachineDialog* d = view.register_selected();
    QVERIFY(d != nullptr);
    QCOMPARE(d->field("mac")->text(), QString("52:54:00:99:00:01"));
    QTRY_VERIFY(!d->field("ip")->text().isEmpty());
    const QString ip = d->field("ip")->text();
    QVERIFY2(ip.startsWith("198.18.0."), qPrintable(ip));
    QCOMPARE(d->field("hostname")->text(), "lab-0-" + ip.section('.', 3));
    QSignalSpy registered(&view, &DiscoveredView::registered);
    QTest::mouseClick(d->save_button(), Qt::LeftButton);
    QTRY_COMPARE(registered.count(), 1);
    QCOMPARE(call(api_, "GET", "/api/v1/machines/52:54:00:99:00:01").object().value("ip").toString(), ip);
  }

  void the_live_log_shows_a_bootpc_exchange() {
    BootLog log(api_);
    log.start();
    QSignalSpy added(&log, &BootLog::event_added);
    QTest::qWait(300);  // the stream is open
    QVERIFY(bootpc("52:54:00:12:34:56"));
    // ws01's line, with its host name, gets the reply of this exchange.
    const auto reply_shown = [&log] {
      for (int i = 0; i < log.tree()->topLevelItemCount(); ++i) {
        auto* top = log.tree()->topLevelItem(i);
        if (!top->text(0).startsWith("52:54:00:12:34:56") || !top->text(0).contains("ws01")) continue;
        for (int c = 0; c < top->childCount(); ++c) {
          if (top->child(c)->text(1) == "bootp.reply") return true;
        }
      }
      return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(reply_shown(), 10000);
    QVERIFY(added.count() >= 1);
  }

  void the_machine_table_pages_from_the_server() {
    QString csv = "mac,hostname,ip,image,group\n";
    for (int i = 0; i < 2000; ++i) {
      csv += QString("52:54:01:00:%1:%2,bulk%3,198.18.%4.%5,lab-bios,bulk\n")
                 .arg(i / 256, 2, 16, QChar('0'))
                 .arg(i % 256, 2, 16, QChar('0'))
                 .arg(i, 4, 10, QChar('0'))
                 .arg(64 + i / 250)
                 .arg(1 + i % 250);
    }
    Result imported;
    QEventLoop loop;
    api_.send_raw("POST", "/api/v1/machines/import", csv.toUtf8(), "text/csv", [&](const Result& r) {
      imported = r;
      loop.quit();
    });
    loop.exec();
    QVERIFY2(imported.ok(), qPrintable(imported.detail));

    MainWindow w(api_);
    w.load();
    QTRY_VERIFY(w.machines()->total() > 2000);
    // The last row's page is fetched when it is looked at, not before.
    QVERIFY(w.machines()->machine(w.machines()->total() - 1).isEmpty());
    w.machine_table()->scrollToBottom();
    (void)w.machines()->data(w.machines()->index(w.machines()->total() - 1, 0), Qt::DisplayRole);
    QTRY_VERIFY(!w.machines()->machine(w.machines()->total() - 1).isEmpty());
    // The search runs on the server.
    QTest::keyClicks(w.search(), "gui01");
    QTRY_COMPARE(w.machines()->total(), 1);
    QTRY_COMPARE(
        w.machines()->data(w.machines()->index(0, MachineModel::hostname), Qt::DisplayRole).toString(),
        QString("gui01"));
    // Selecting it shows its boot preview.
    w.machine_table()->selectRow(0);
    QTRY_VERIFY(w.preview()->text()->toPlainText().contains("lab/pxelinux.0"));
    QVERIFY(w.preview()->text()->toPlainText().contains("198.18.0.61"));
  }

  void the_csv_wizard_reports_before_it_imports() {
    const QString path = QDir::temp().filePath("bk-gui-import.csv");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("mac,hostname,ip\n52:54:00:00:0b:01,wiz01,198.18.0.71\n52:54:00:00:0b:02,wiz02,198.18.0.71\n");
    f.close();
    ImportWizard w(api_);
    w.set_file(path);
    QSignalSpy reported(&w, &ImportWizard::reported);
    w.show();
    w.next();
    QTRY_COMPARE(reported.count(), 1);
    QCOMPARE(w.report()->rowCount(), 2);
    QVERIFY2(w.report()->item(1, 3)->text().contains("ip"), qPrintable(w.report()->item(1, 3)->text()));
    QVERIFY(w.summary()->text().contains("1 with problems"));
    QCOMPARE(call(api_, "GET", "/api/v1/machines/52:54:00:00:0b:01").status, 404);  // a dry run
  }

  // With BK_SCREENSHOTS=DIR: each view, rendered offscreen, for the README.
  void screenshots() {
    const QString dir = env("BK_SCREENSHOTS");
    if (dir.isEmpty()) QSKIP("screenshots are taken on request: admin-gui/tests/screenshots.sh");
    QDir().mkpath(dir);
    MainWindow w(api_);
    w.resize(1280, 760);
    w.show();
    w.load();
    QTRY_VERIFY(w.machines()->total() > 0);
    QTest::qWait(500);
    w.search()->setText("room-a");
    QTRY_COMPARE(w.machines()->total(), 2);
    w.machine_table()->selectRow(0);
    QTRY_VERIFY(!w.preview()->text()->toPlainText().isEmpty());
    const char* names[] = {"machines", "discovered", "subnets", "images", "boot-log"};
    QTest::qWait(5500);  // one reply event per machine in 5 s: the earlier tests' are recent
    bootpc("52:54:00:12:34:56");
    bootpc("52:54:00:99:00:07");
    QTest::qWait(1500);
    w.discovered()->refresh();
    for (int i = 0; i < w.tabs()->count(); ++i) {
      w.tabs()->setCurrentIndex(i);
      QTest::qWait(400);
      QVERIFY(w.grab().save(dir + "/" + names[i] + ".png"));
    }
    MachineDialog d(api_, {});
    d.show();
    QTest::keyClicks(d.field("mac"), "52:54:00:00:0c:01");
    QTest::keyClicks(d.field("hostname"), "ws-new");
    QTest::keyClicks(d.field("ip"), "198.18.0.50");
    d.check_now();
    QTRY_VERIFY(!d.error_text("ip").isEmpty());
    QVERIFY(d.grab().save(dir + "/machine-dialog.png"));
  }

 private:
  ApiClient api_;
};

QTEST_MAIN(AdminTest)
#include "admin_test.moc"
